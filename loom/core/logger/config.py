"""Setting up log output once at startup: levels, handlers, console or JSON lines.

:func:`configure_logging` takes a :class:`LogConfig`;
:func:`configure_logging_from_values` takes the same settings as plain
values (strings from a configuration file, say), and :class:`LoggerConfig`
is the ``logger:`` section of such a file. These are loom-kernel's names.

Output goes through the standard :mod:`logging` module: every handler gets a
formatter that turns a record into an *event dict* (``event``, the
structured fields of loom's loggers, ``level``, ``logger``, ``timestamp``,
``exception`` when there is one, and the global ``fields`` of the
configuration), runs the ``extra_processors`` over it and renders it, as
``key=value`` console text or as one JSON object per line. A processor is
called as structlog calls its processors, ``processor(logger, method_name,
event_dict)``, and returns the event dict to pass on, so simple structlog
processors work here without structlog being installed (loom does not
depend on it).
"""

from __future__ import annotations

import json
import logging
import logging.handlers
import sys
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any, Literal


class Environment(StrEnum):
    """Where the process runs: it chooses the default renderer and colours."""

    DEV = "dev"
    PROD = "prod"

    @classmethod
    def from_str(cls, value: str) -> Environment:
        """Parse a name, ignoring case and spaces; an unknown name means :attr:`DEV`."""
        try:
            return cls(value.strip().lower())
        except ValueError:
            return cls.DEV


class Renderer(StrEnum):
    """How a line is written: ``key=value`` text or one JSON object."""

    CONSOLE = "console"
    JSON = "json"

    @classmethod
    def from_str(cls, value: str) -> Renderer:
        """Parse a name, ignoring case and spaces; an unknown name is a ``ValueError``."""
        try:
            return cls(value.strip().lower())
        except ValueError:
            known = ", ".join(repr(r.value) for r in cls)
            raise ValueError(f"unknown log renderer {value!r}: use one of {known}") from None


@dataclass(frozen=True)
class StreamHandlerConfig:
    """A handler writing to ``stdout`` or ``stderr``; ``renderer`` overrides the default."""

    stream: Literal["stdout", "stderr"] = "stdout"
    renderer: str | None = None


@dataclass(frozen=True)
class FileHandlerConfig:
    """A handler appending to ``filename``."""

    filename: str
    encoding: str = "utf-8"
    renderer: str | None = None


@dataclass(frozen=True)
class RotatingFileHandlerConfig:
    """A handler writing to ``filename``, rotated at ``max_bytes`` keeping ``backup_count`` files."""

    filename: str
    max_bytes: int = 10 * 1024 * 1024
    backup_count: int = 5
    encoding: str = "utf-8"
    renderer: str | None = None


HandlerConfig = StreamHandlerConfig | FileHandlerConfig | RotatingFileHandlerConfig


@dataclass(frozen=True, kw_only=True)
class LoggerConfig:
    """The ``logger:`` section of an application's configuration, as plain values.

    ``configure_logging_from_values(**dataclasses.asdict(...))`` is not
    needed: pass the attributes by name. An empty ``environment`` means
    ``"dev"``; ``renderer`` and ``colors`` left ``None`` follow it.
    """

    name: str = ""
    environment: str = ""
    renderer: str | None = None
    colors: bool | None = None
    level: str = "INFO"
    named_levels: dict[str, str] = field(default_factory=dict)
    handlers: list[HandlerConfig] = field(default_factory=list)
    fields: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class LogConfig:
    """Everything :func:`configure_logging` sets up.

    ``name`` is the stdlib logger the handlers go on (``""``: the root
    logger); ``named_levels`` sets other loggers' levels; ``handlers`` empty
    means one stdout stream; ``fields`` are added to every line;
    ``extra_processors`` run over each event dict before it is rendered.
    """

    environment: Environment = Environment.DEV
    renderer: Renderer | None = None
    colors: bool | None = None
    level: str = "INFO"
    name: str = ""
    named_levels: tuple[tuple[str, str], ...] = ()
    handlers: tuple[HandlerConfig, ...] = ()
    fields: tuple[tuple[str, str], ...] = ()
    extra_processors: tuple[Any, ...] = ()


def _level(name: str, logger_name: str | None = None) -> int:
    value = logging.getLevelName(name.strip().upper())
    if isinstance(value, int):
        return value
    where = "" if logger_name is None else f" for logger {logger_name!r}"
    raise ValueError(f"unknown log level {name!r}{where}")


def _renderer(config: LogConfig, handler: HandlerConfig | None = None) -> Renderer:
    chosen = None if handler is None else handler.renderer
    if chosen is not None:
        return Renderer.from_str(chosen)
    if config.renderer is not None:
        return config.renderer
    return Renderer.JSON if config.environment == Environment.PROD else Renderer.CONSOLE


def _colors(config: LogConfig) -> bool:
    return config.colors if config.colors is not None else config.environment != Environment.PROD


_COLORS = {"debug": "\x1b[2m", "info": "\x1b[32m", "warning": "\x1b[33m", "error": "\x1b[31m"}
_RESET = "\x1b[0m"


class EventFormatter(logging.Formatter):
    """Renders a record as an event dict after the processors (see the module's docstring)."""

    def __init__(
        self,
        renderer: Renderer,
        *,
        colors: bool = False,
        fields: Mapping[str, Any] | None = None,
        processors: Sequence[Callable[[Any, str, dict[str, Any]], Any]] = (),
    ) -> None:
        super().__init__()
        self.renderer = renderer
        self.colors = colors
        self.fields = dict(fields or {})
        self.processors = tuple(processors)

    def event_dict(self, record: logging.LogRecord) -> dict[str, Any]:
        """The record as an event dict, before the processors."""
        # loom's loggers log ("%s", line) with the fields on the record.
        args = record.args if isinstance(record.args, tuple) else ()
        line = args[0] if len(args) == 1 else None
        structured = getattr(record, "fields", None)
        if isinstance(structured, dict) and isinstance(getattr(line, "event", None), str):
            event: dict[str, Any] = {"event": getattr(line, "event"), **structured}
        else:
            event = {"event": record.getMessage()}
        event = {**self.fields, **event}
        event["level"] = record.levelname.lower()
        event["logger"] = record.name
        event["timestamp"] = datetime.fromtimestamp(record.created, UTC).isoformat()
        if record.exc_info:
            event["exception"] = self.formatException(record.exc_info)
        return event

    def format(self, record: logging.LogRecord) -> str:
        event: Any = self.event_dict(record)
        method = record.levelname.lower()
        for processor in self.processors:
            event = processor(logging.getLogger(record.name), method, event)
            if isinstance(event, str | bytes):
                return event if isinstance(event, str) else event.decode()
        if self.renderer is Renderer.JSON:
            return json.dumps(event, default=repr, ensure_ascii=False)
        return self._console(event)

    def _console(self, event: dict[str, Any]) -> str:
        rest = dict(event)
        timestamp = rest.pop("timestamp", "")
        level = str(rest.pop("level", ""))
        message = rest.pop("event", "")
        exception = rest.pop("exception", None)
        shown = f"[{level:<7}]"
        if self.colors and level in _COLORS:
            shown = f"{_COLORS[level]}{shown}{_RESET}"
        pairs = " ".join(f"{key}={value!r}" for key, value in rest.items())
        text = f"{timestamp} {shown} {message}" + (f" {pairs}" if pairs else "")
        return text if exception is None else f"{text}\n{exception}"


def _handler(config: HandlerConfig) -> logging.Handler:
    if isinstance(config, StreamHandlerConfig):
        return logging.StreamHandler(sys.stderr if config.stream == "stderr" else sys.stdout)
    if isinstance(config, RotatingFileHandlerConfig):
        return logging.handlers.RotatingFileHandler(
            config.filename,
            maxBytes=config.max_bytes,
            backupCount=config.backup_count,
            encoding=config.encoding,
        )
    if isinstance(config, FileHandlerConfig):
        return logging.FileHandler(config.filename, encoding=config.encoding)
    raise TypeError(
        f"unknown log handler configuration {type(config).__name__}: use StreamHandlerConfig,"
        " FileHandlerConfig or RotatingFileHandlerConfig"
    )


_DEFAULT = LogConfig()


def configure_logging(config: LogConfig = _DEFAULT) -> None:
    """Set levels and replace the handlers of ``config.name``'s logger (see :class:`LogConfig`).

    Raises ``ValueError`` for an unknown level name, before changing anything.
    """
    level = _level(config.level)
    named = [(name, _level(value, name)) for name, value in config.named_levels]
    target = logging.getLogger(config.name) if config.name else logging.getLogger()
    target.setLevel(level)
    for old in list(target.handlers):
        target.removeHandler(old)
    for handler_config in config.handlers or (StreamHandlerConfig(),):
        handler = _handler(handler_config)
        handler.setLevel(level)
        handler.setFormatter(
            EventFormatter(
                _renderer(config, handler_config),
                colors=_colors(config),
                fields=dict(config.fields),
                processors=config.extra_processors,
            )
        )
        target.addHandler(handler)
    for name, named_level in named:
        logging.getLogger(name).setLevel(named_level)


def configure_logging_from_values(
    *,
    name: str = "",
    environment: str = "",
    renderer: str | None = None,
    colors: bool | None = None,
    level: str = "INFO",
    named_levels: Mapping[str, str] | None = None,
    handlers: Sequence[HandlerConfig] = (),
    fields: Mapping[str, str] | None = None,
    extra_processors: Sequence[Any] = (),
) -> None:
    """:func:`configure_logging` from plain values (an empty ``environment`` is ``"dev"``)."""
    configure_logging(
        LogConfig(
            environment=(
                Environment.from_str(environment) if environment.strip() else Environment.DEV
            ),
            renderer=None if renderer is None else Renderer.from_str(renderer),
            colors=colors,
            level=level,
            name=name,
            named_levels=tuple((named_levels or {}).items()),
            handlers=tuple(handlers),
            fields=tuple((fields or {}).items()),
            extra_processors=tuple(extra_processors),
        )
    )


__all__ = [
    "Environment",
    "EventFormatter",
    "FileHandlerConfig",
    "HandlerConfig",
    "LogConfig",
    "LoggerConfig",
    "Renderer",
    "RotatingFileHandlerConfig",
    "StreamHandlerConfig",
    "configure_logging",
    "configure_logging_from_values",
]
