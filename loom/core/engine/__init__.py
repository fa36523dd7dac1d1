"""The engine: compile use case classes into plans and execute them."""

from loom.core.engine.compiler import CompilationError, UseCaseCompiler
from loom.core.engine.events import EventKind, RuntimeEvent
from loom.core.engine.executor import ParameterBindingError, RuntimeExecutor
from loom.core.engine.generated import ExecutionMode, GeneratedCodeError
from loom.core.engine.metrics import MetricsAdapter
from loom.core.engine.plan import (
    ComputeStep,
    ExecutionPlan,
    ExistsStep,
    InputBinding,
    LoadStep,
    ParamBinding,
    RuleStep,
)

__all__ = [
    "CompilationError",
    "ComputeStep",
    "EventKind",
    "ExecutionMode",
    "ExecutionPlan",
    "ExistsStep",
    "GeneratedCodeError",
    "InputBinding",
    "LoadStep",
    "MetricsAdapter",
    "ParamBinding",
    "ParameterBindingError",
    "RuleStep",
    "RuntimeEvent",
    "RuntimeExecutor",
    "UseCaseCompiler",
]
