"""The immutable execution plan a use case class compiles into.

A plan is plain data: it refers to the use case class, command type, entity
types and compute/rule functions directly and never back to the compiler, so
an executor can run it without inspecting anything per request.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from loom.core.use_case.markers import LookupKind, OnMissing, SourceKind


@dataclass(frozen=True, slots=True)
class ParamBinding:
    """A plain parameter of ``execute``, bound from ``params`` by name.

    With ``has_default``, an absent parameter takes ``default`` (as given,
    never converted)."""

    name: str
    annotation: Any
    has_default: bool = False
    default: Any = None


@dataclass(frozen=True, slots=True)
class InputBinding:
    """The ``Input()`` parameter: its name and the command type to build."""

    name: str
    command_type: Any


@dataclass(frozen=True, slots=True)
class LoadStep:
    """Fetch one entity before ``execute`` runs (``LoadById`` or ``Load``)."""

    name: str
    entity_type: type[Any]
    source_kind: SourceKind
    source_name: str
    lookup_kind: LookupKind
    against: str
    profile: str = "default"
    on_missing: OnMissing = OnMissing.RAISE


@dataclass(frozen=True, slots=True)
class ExistsStep:
    """Ask a repository whether a matching entity exists (``Exists``)."""

    name: str
    entity_type: type[Any]
    source_kind: SourceKind
    source_name: str
    against: str
    on_missing: OnMissing = OnMissing.RETURN_FALSE


@dataclass(frozen=True, slots=True)
class ComputeStep:
    """One compute function; ``accepts_context`` when it takes a third argument."""

    fn: Any
    accepts_context: bool = False


@dataclass(frozen=True, slots=True)
class RuleStep:
    """One rule function; ``accepts_context`` when it takes a third argument."""

    fn: Any
    accepts_context: bool = False


@dataclass(frozen=True, slots=True)
class ExecutionPlan:
    """Everything the executor needs to run one use case class.

    Steps keep declaration order. ``read_only`` mirrors the class attribute:
    such use cases never open a unit of work.
    """

    use_case_type: type[Any]
    param_bindings: tuple[ParamBinding, ...]
    input_binding: InputBinding | None
    load_steps: tuple[LoadStep, ...]
    exists_steps: tuple[ExistsStep, ...]
    compute_steps: tuple[ComputeStep, ...]
    rule_steps: tuple[RuleStep, ...]
    read_only: bool = False

    @property
    def use_case_name(self) -> str:
        """The qualified name used in events, logs and error messages."""
        return self.use_case_type.__qualname__


def step_label(fn: Any) -> str:
    """A readable name for a compute or rule function (used in logs)."""
    name = getattr(fn, "__name__", None)
    return name if isinstance(name, str) else type(fn).__name__


__all__ = [
    "ComputeStep",
    "ExecutionPlan",
    "ExistsStep",
    "InputBinding",
    "LoadStep",
    "ParamBinding",
    "RuleStep",
    "step_label",
]
