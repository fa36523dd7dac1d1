"""loom: declarative use cases compiled into immutable execution plans."""

__version__ = "0.1.0"
