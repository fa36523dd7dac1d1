"""Structured logging: the port loom logs through, its default adapters, and their setup."""

from loom.core.logger.config import (
    Environment,
    FileHandlerConfig,
    HandlerConfig,
    LogConfig,
    LoggerConfig,
    Renderer,
    RotatingFileHandlerConfig,
    StreamHandlerConfig,
    configure_logging,
    configure_logging_from_values,
)
from loom.core.logger.port import LoggerPort, StdlibLogger, is_enabled, level_check
from loom.core.logger.registry import (
    LoggerFactory,
    configure_logger_factory,
    get_logger,
    reset_logger_factory,
)
from loom.core.logger.structlogger import StructLogger

__all__ = [
    "Environment",
    "FileHandlerConfig",
    "HandlerConfig",
    "LogConfig",
    "LoggerConfig",
    "LoggerFactory",
    "LoggerPort",
    "Renderer",
    "RotatingFileHandlerConfig",
    "StdlibLogger",
    "StreamHandlerConfig",
    "StructLogger",
    "configure_logger_factory",
    "configure_logging",
    "configure_logging_from_values",
    "get_logger",
    "is_enabled",
    "level_check",
    "reset_logger_factory",
]
