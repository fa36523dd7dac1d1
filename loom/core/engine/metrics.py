"""The port that receives :class:`RuntimeEvent` objects."""

from __future__ import annotations

from typing import Protocol, runtime_checkable

from loom.core.engine.events import RuntimeEvent


@runtime_checkable
class MetricsAdapter(Protocol):
    """Anything with ``on_event``: Prometheus, StatsD, an in-memory recorder...

    An adapter may also have an ``event_kinds`` attribute, the set of
    :class:`~loom.core.engine.events.EventKind` it acts on: the executor then
    builds no ``EXEC_START`` event for it unless that kind is in the set (an
    event per call it would drop). Without the attribute, it gets every event.
    """

    def on_event(self, event: RuntimeEvent) -> None: ...
