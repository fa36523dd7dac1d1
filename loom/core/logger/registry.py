"""Which logger :func:`get_logger` makes: a process-wide factory, replaceable at startup.

The factory is a callable from a logger name to a
:class:`~loom.core.logger.port.LoggerPort`; by default
:class:`~loom.core.logger.structlogger.StructLogger`. An application that
installs its own with :func:`configure_logger_factory` (before building its
compiler and executors) gets it in loom's compiler and executor too, unless
it passes them a ``logger=`` of their own.
"""

from __future__ import annotations

from collections.abc import Callable

from loom.core.logger.port import LoggerPort
from loom.core.logger.structlogger import StructLogger

LoggerFactory = Callable[[str], LoggerPort]

_factory: LoggerFactory = StructLogger


def configure_logger_factory(factory: LoggerFactory) -> None:
    """Make :func:`get_logger` return ``factory(name)`` from now on."""
    global _factory
    _factory = factory


def reset_logger_factory() -> None:
    """Go back to the default factory, :class:`StructLogger`."""
    global _factory
    _factory = StructLogger


def get_logger(name: str) -> LoggerPort:
    """A logger called ``name`` from the current factory."""
    return _factory(name)


__all__ = ["LoggerFactory", "configure_logger_factory", "get_logger", "reset_logger_factory"]
