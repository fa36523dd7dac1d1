"""Execution mode and environment variable names, shared by the runtime and the pytest plugin.

The one place these names are written: :mod:`loom.core.engine.generated`
(the runtime) and :mod:`loomgen.pytest_plugin` both import them from here.
It lives in ``loomgen`` and imports the standard library alone because the
plugin reads it at pytest startup, where it promises to import nothing from
``loom`` (whose package import has effects of its own) unless a mode is
asked for; ``loom`` and ``loomgen`` ship in one distribution, so the
runtime can always import it.
"""

from __future__ import annotations

from enum import StrEnum

MODE_VARIABLE = "LOOM_EXECUTION_MODE"
"""The environment variable that chooses the mode when the executor is given none."""

PACKAGE_VARIABLE = "LOOM_GENERATED"
"""The environment variable naming the generated package when the executor is given none."""

DEFAULT_PACKAGE = "generated"
"""The generated package's name when neither the executor nor the environment names one."""


class ExecutionMode(StrEnum):
    """How the executor chooses between generated code and the interpreter."""

    AUTO = "auto"
    """Use a generated executor when one fits the live plan, else interpret."""
    INTERPRETED = "interpreted"
    """Never use generated code."""
    GENERATED = "generated"
    """Always use generated code; a missing or stale executor is an error."""


PLUGIN_MODES = (
    ExecutionMode.GENERATED.value,
    ExecutionMode.INTERPRETED.value,
    ExecutionMode.AUTO.value,
)
"""The modes the pytest plugin offers, in the order its help and errors list them."""

__all__ = ["DEFAULT_PACKAGE", "MODE_VARIABLE", "PACKAGE_VARIABLE", "PLUGIN_MODES", "ExecutionMode"]
