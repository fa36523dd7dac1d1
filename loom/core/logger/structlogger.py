""":class:`StructLogger`: the logger :func:`loom.core.logger.get_logger` returns by default.

It logs structured events (``logger.info("user.created", user_id=7)``)
through the standard :mod:`logging` logger of its name, exactly as
:class:`~loom.core.logger.port.StdlibLogger` does: a disabled level costs
one check and builds nothing, and the fields travel on the record (as
``record.fields``). How lines look (console or JSON, timestamps, global
fields, extra processors) is set once by
:func:`loom.core.logger.config.configure_logging`.

It needs no third-party package. An application that prefers structlog's
own loggers passes one as ``logger=`` or installs a factory with
:func:`~loom.core.logger.registry.configure_logger_factory`: a structlog
bound logger fits :class:`~loom.core.logger.port.LoggerPort` as it is.
"""

from __future__ import annotations

import logging
from typing import Any

from loom.core.logger.port import StdlibLogger


class StructLogger(StdlibLogger):
    """A :class:`StdlibLogger` created from a logger name, like loom-kernel's ``StructLogger``."""

    __slots__ = ()

    def __init__(self, name: str = "loom", bound: dict[str, Any] | None = None) -> None:
        super().__init__(logging.getLogger(name), bound)

    def bind(self, **fields: Any) -> StructLogger:
        return StructLogger(self.name, {**self._bound, **fields})


__all__ = ["StructLogger"]
