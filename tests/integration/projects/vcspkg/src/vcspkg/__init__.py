"""A git-versioned package."""
