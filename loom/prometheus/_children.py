"""Counters and histograms that keep their labelled children.

``prometheus_client``'s ``labels()`` checks its arguments, turns each value
into a string and takes a lock on every call: about a microsecond, twice per
use case execution. These subclasses remember the child returned for each
tuple of label values, so a repeated ``labels()`` is a dict read.
``remove()`` and ``clear()`` forget what they remove, so a child dropped from
the series is never updated again through a kept reference.
"""

from __future__ import annotations

import threading
from typing import Any

from prometheus_client import Counter, Histogram
from prometheus_client.metrics import MetricWrapperBase


class _KeptChildren(MetricWrapperBase):
    """``labels()`` with positional values answered from a dict once seen."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._loom_children: dict[tuple[object, ...], Any] = {}
        self._loom_lock = threading.Lock()

    def labels(self, *labelvalues: object, **labelkwargs: object) -> Any:
        if not labelkwargs:
            try:
                return self._loom_children[labelvalues]
            except KeyError:
                pass
        with self._loom_lock:
            child = super().labels(*labelvalues, **labelkwargs)
            if not labelkwargs:
                self._loom_children[labelvalues] = child
            return child

    def remove(self, *labelvalues: Any) -> None:
        with self._loom_lock:
            super().remove(*labelvalues)
            self._loom_children.clear()

    def clear(self) -> None:
        with self._loom_lock:
            super().clear()
            self._loom_children.clear()


class KeptCounter(_KeptChildren, Counter):
    """A :class:`~prometheus_client.Counter` whose ``labels()`` keeps its children."""


class KeptHistogram(_KeptChildren, Histogram):
    """A :class:`~prometheus_client.Histogram` whose ``labels()`` keeps its children."""
