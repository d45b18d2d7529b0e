"""A flit_core package."""
