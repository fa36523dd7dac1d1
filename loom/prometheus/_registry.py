"""One set of instruments per registry.

``prometheus_client`` refuses to register a metric name twice in a registry.
Two adapters (or two middlewares) on the same registry, a development reload
or a second app in one process would otherwise fail at start; they share the
instruments instead, so their counts add up in one series.
"""

from __future__ import annotations

import threading
import weakref
from collections.abc import Callable
from typing import TypeVar

from prometheus_client import REGISTRY, CollectorRegistry

T = TypeVar("T")

_lock = threading.Lock()
_made: dict[str, weakref.WeakKeyDictionary[CollectorRegistry, object]] = {}


def instruments_for(
    kind: str, registry: CollectorRegistry | None, make: Callable[[CollectorRegistry], T]
) -> T:
    """The instruments of ``kind`` on ``registry`` (the global one when ``None``)."""
    target = REGISTRY if registry is None else registry
    with _lock:
        per_registry = _made.setdefault(kind, weakref.WeakKeyDictionary())
        existing = per_registry.get(target)
        if existing is None:
            existing = make(target)
            per_registry[target] = existing
        return existing  # type: ignore[return-value]
