"""The port that receives :class:`RuntimeEvent` objects."""

from __future__ import annotations

from typing import Protocol, runtime_checkable

from loom.core.engine.events import RuntimeEvent


@runtime_checkable
class MetricsAdapter(Protocol):
    """Anything with ``on_event``: Prometheus, StatsD, an in-memory recorder..."""

    def on_event(self, event: RuntimeEvent) -> None: ...
