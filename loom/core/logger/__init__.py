"""Structured logging port and its default adapter on top of :mod:`logging`."""

from loom.core.logger.port import LoggerPort, StdlibLogger, get_logger, is_enabled, level_check

__all__ = ["LoggerPort", "StdlibLogger", "get_logger", "is_enabled", "level_check"]
