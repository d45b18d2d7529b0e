from sample_app.headers import charset_of, parse_content_type


def test_parse_content_type_with_charset():
    assert parse_content_type('text/HTML; charset="utf-8"') == ("text/html", {"charset": "utf-8"})


def test_charset_defaults_to_utf8():
    assert charset_of("application/json") == "utf-8"
