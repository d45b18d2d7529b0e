"""The real-world corpus (see README.md)."""
