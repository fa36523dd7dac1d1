"""pytest plugin for .ci/compat: which use case classes ran generated code.

Loaded with ``-p compat_report`` next to a test suite it does not change. It
wraps ``RuntimeExecutor.prepare`` to note how each class was prepared and, at
the end of the session, prints how many classes ran generated code and why
each of the others ran interpreted.
"""

from __future__ import annotations

from typing import Any

import pytest

from loom.core.engine.executor import Prepared, RuntimeExecutor

_PREPARED: dict[str, Prepared] = {}
_prepare = RuntimeExecutor.prepare


def _recording_prepare(self: RuntimeExecutor, use_case_type: type[Any]) -> Prepared:
    prepared = _prepare(self, use_case_type)
    _PREPARED[f"{use_case_type.__module__}:{use_case_type.__qualname__}"] = prepared
    return prepared


RuntimeExecutor.prepare = _recording_prepare  # type: ignore[method-assign]


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    generated = sorted(key for key, prepared in _PREPARED.items() if prepared.generated)
    interpreted = sorted(
        (key, prepared.reason) for key, prepared in _PREPARED.items() if not prepared.generated
    )
    terminalreporter.write_line(
        f"compat: {len(_PREPARED)} use case classes executed: {len(generated)} ran generated"
        f" code, {len(interpreted)} the interpreter"
    )
    for key, reason in interpreted:
        # A fallback's reason usually names the class already.
        line = reason if reason and key in reason else f"{key}: {reason}"
        terminalreporter.write_line(f"  interpreted: {line}")
