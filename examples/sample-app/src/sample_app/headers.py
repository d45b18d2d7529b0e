"""HTTP header helpers."""


def parse_content_type(value):
    """Split a Content-Type header into its media type and parameters.

    >>> parse_content_type('text/html; charset="utf-8"')
    ('text/html', {'charset': 'utf-8'})
    """
    # Imported here, as many codebases do for rarely used helpers. The cgi
    # module is gone in Python 3.13 (PEP 594), so this is what breaks there.
    import cgi

    media_type, params = cgi.parse_header(value)
    return media_type.lower(), params


def charset_of(value, default="utf-8"):
    """The charset named in a Content-Type header, or ``default``."""
    return parse_content_type(value)[1].get("charset", default)
