"""Execution mode, environment variable and generated-package names, written once.

The runtime (:mod:`loom.core.engine.generated`, which re-exports them) and
loomgen's pytest plugin both import them from here. The module imports the
standard library alone, so the plugin can read it at pytest startup without
importing the engine (or pydantic) before a mode is asked for.
"""

from __future__ import annotations

from enum import StrEnum

MODE_VARIABLE = "LOOM_EXECUTION_MODE"
"""The environment variable that chooses the mode when the executor is given none."""

PACKAGE_VARIABLE = "LOOM_GENERATED"
"""The environment variable naming the generated package when the executor is given none."""

DEFAULT_PACKAGE = "generated"
"""The generated package's name when neither the executor nor the environment names one."""

INPUTS_FILE = "_loomgen_inputs.json"
"""The file of a generated package in which the build records what it read
(written by loomgen; read by ``RuntimeExecutor.prepare_all``)."""


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

__all__ = [
    "DEFAULT_PACKAGE",
    "INPUTS_FILE",
    "MODE_VARIABLE",
    "PACKAGE_VARIABLE",
    "PLUGIN_MODES",
    "ExecutionMode",
]
