"""Example applications built on loom."""
