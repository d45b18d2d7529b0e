"""sample-app: header parsing, slugs and a small CLI."""

from sample_app.headers import parse_content_type
from sample_app.text import slugify

__all__ = ["parse_content_type", "slugify"]
__version__ = "1.4.0"
