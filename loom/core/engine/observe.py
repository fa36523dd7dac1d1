"""Record, for a whole process, which use case classes run generated code and why not.

Off by default: :data:`recorder` is ``None`` and the executor's only cost is
checking that, once per prepared class (never per call). A tool that wants
the decisions (loomgen's pytest plugin prints them at the end of a test
session) turns recording on with :func:`start_recording` and off with
:func:`stop_recording`::

    recorder = observe.start_recording()
    ...  # executors prepare classes
    observe.stop_recording(recorder)
    for decision in recorder.decisions:
        print(decision.key, decision.generated, decision.reason)

Every :meth:`~loom.core.engine.executor.RuntimeExecutor.prepare` that
chooses how to run a class reports it here: the class's registry key
(``module:qualname``), whether the generated executor was chosen, and, when
not, the reason. A class prepared by several executors is reported by each.
"""

from __future__ import annotations

import threading
from typing import NamedTuple

INTERPRETED_MODE = "interpreted mode"
"""Reason recorded when the executor was told never to use generated code."""


class Decision(NamedTuple):
    """How one executor chose to run one use case class."""

    key: str
    """``module:qualname`` of the class, as the generated registry names it."""
    generated: bool
    """Whether its generated executor runs it."""
    reason: str | None
    """Why the interpreter runs it instead (``None`` when ``generated``)."""


class Recorder:
    """The decisions reported while it was installed, in the order they were made."""

    def __init__(self, previous: Recorder | None = None) -> None:
        self.decisions: list[Decision] = []
        self._previous = previous
        self._lock = threading.Lock()

    def record(self, key: str, generated: bool, reason: str | None = None) -> None:
        """Store one decision (``reason`` is dropped for a generated class)."""
        decision = Decision(key, generated, None if generated else (reason or "no reason given"))
        with self._lock:
            self.decisions.append(decision)


recorder: Recorder | None = None
"""The installed recorder; ``None`` (the default) records nothing."""


def start_recording() -> Recorder:
    """Install a new recorder and return it; the one installed before is kept
    and comes back on :func:`stop_recording`."""
    global recorder
    recorder = Recorder(recorder)
    return recorder


def stop_recording(stopped: Recorder) -> None:
    """Uninstall ``stopped`` (and restore the recorder it replaced).

    Stopping a recorder that is no longer the installed one leaves the
    installed one alone.
    """
    global recorder
    if recorder is stopped:
        recorder = stopped._previous


__all__ = [
    "INTERPRETED_MODE",
    "Decision",
    "Recorder",
    "recorder",
    "start_recording",
    "stop_recording",
]
