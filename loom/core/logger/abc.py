"""loom-kernel's import path for the logger port (:class:`LoggerPort`)."""

from loom.core.logger.port import LoggerPort

__all__ = ["LoggerPort"]
