"""The logger port used by loom, and an adapter for the standard library.

loom logs *events* with structured fields: ``logger.info("[DONE] PlaceOrder",
usecase="PlaceOrder", duration_ms=1.2)``. Any object with ``bind`` and the five
level methods can be plugged in (structlog loggers fit as they are).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any, Protocol, runtime_checkable


@runtime_checkable
class LoggerPort(Protocol):
    """What loom needs from a logger."""

    def bind(self, **fields: Any) -> LoggerPort:
        """Return a logger that adds ``fields`` to every line."""
        ...

    def debug(self, event: str, **fields: Any) -> None: ...

    def info(self, event: str, **fields: Any) -> None: ...

    def warning(self, event: str, **fields: Any) -> None: ...

    def error(self, event: str, **fields: Any) -> None: ...

    def exception(self, event: str, **fields: Any) -> None: ...


class _Line:
    """A log message rendered only if a handler actually emits it."""

    __slots__ = ("event", "fields")

    def __init__(self, event: str, fields: dict[str, Any]) -> None:
        self.event = event
        self.fields = fields

    def __str__(self) -> str:
        if not self.fields:
            return self.event
        rendered = " ".join(f"{key}={value!r}" for key, value in self.fields.items())
        return f"{self.event} {rendered}"


class StdlibLogger:
    """:class:`LoggerPort` on a :class:`logging.Logger`.

    A disabled level costs one ``isEnabledFor`` check: no record is built and
    no string is formatted. Enabled lines are formatted lazily by the handler,
    and the structured fields are also attached to the record as ``fields``.
    """

    __slots__ = ("_logger", "_bound")

    def __init__(self, logger: logging.Logger, bound: dict[str, Any] | None = None) -> None:
        self._logger = logger
        self._bound = bound or {}

    @property
    def name(self) -> str:
        return self._logger.name

    @property
    def stdlib(self) -> logging.Logger:
        """The wrapped :class:`logging.Logger`."""
        return self._logger

    def is_enabled_for(self, level: int) -> bool:
        return self._logger.isEnabledFor(level)

    def bind(self, **fields: Any) -> StdlibLogger:
        return StdlibLogger(self._logger, {**self._bound, **fields})

    def _log(self, level: int, event: str, fields: dict[str, Any], exc_info: bool = False) -> None:
        if not self._logger.isEnabledFor(level):
            return
        merged = {**self._bound, **fields} if self._bound else fields
        self._logger.log(
            level,
            "%s",
            _Line(event, merged),
            exc_info=exc_info,
            extra={"fields": merged},
            stacklevel=3,
        )

    def debug(self, event: str, **fields: Any) -> None:
        self._log(logging.DEBUG, event, fields)

    def info(self, event: str, **fields: Any) -> None:
        self._log(logging.INFO, event, fields)

    def warning(self, event: str, **fields: Any) -> None:
        self._log(logging.WARNING, event, fields)

    def error(self, event: str, **fields: Any) -> None:
        self._log(logging.ERROR, event, fields)

    def exception(self, event: str, **fields: Any) -> None:
        self._log(logging.ERROR, event, fields, exc_info=True)


def get_logger(name: str) -> StdlibLogger:
    """Return the default adapter for the stdlib logger called ``name``."""
    return StdlibLogger(logging.getLogger(name))


def level_check(logger: LoggerPort) -> Callable[[int], bool] | None:
    """A cheap ``level -> enabled`` callable for ``logger``, or ``None`` if it cannot tell.

    For the stdlib adapter this is the underlying ``Logger.isEnabledFor``
    (cached by :mod:`logging`), so a disabled level costs one call.
    """
    if isinstance(logger, StdlibLogger):
        return logger.stdlib.isEnabledFor
    check = getattr(logger, "is_enabled_for", None)
    return check if callable(check) else None


def is_enabled(logger: LoggerPort, level: int) -> bool:
    """Whether ``logger`` would emit at ``level``.

    Loggers that cannot tell (anything but :class:`StdlibLogger`, unless it
    offers ``is_enabled_for``) are assumed to want every line.
    """
    check = getattr(logger, "is_enabled_for", None)
    return True if check is None else bool(check(level))
