"""pytest plugin for .ci/compat: which use case classes ran generated code.

Loaded with ``-p compat_report`` next to a test suite it does not change. It
turns on loom's decision recorder (:mod:`loom.core.engine.observe`) for the
session and, at the end, prints how many classes ran generated code and why
each of the others ran interpreted.
"""

from __future__ import annotations

import pytest

from loom.core.engine import observe

_recorder: observe.Recorder | None = None


def pytest_sessionstart(session: pytest.Session) -> None:
    global _recorder
    _recorder = observe.start_recording()


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if _recorder is None:
        return
    observe.stop_recording(_recorder)
    # A class prepared by several executors is reported by each: one line per class.
    decisions = {decision.key: decision for decision in _recorder.decisions}
    interpreted = sorted(
        (key, decision.reason) for key, decision in decisions.items() if not decision.generated
    )
    terminalreporter.write_line(
        f"compat: {len(decisions)} use case classes executed:"
        f" {len(decisions) - len(interpreted)} ran generated code,"
        f" {len(interpreted)} the interpreter"
    )
    for key, reason in interpreted:
        terminalreporter.write_line(f"  interpreted {key}: {reason}")
