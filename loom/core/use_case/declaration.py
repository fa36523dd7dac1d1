"""A DSL declaration as plain data: what loomgen compiles it from, checked at prepare.

loomgen can turn a ``Compute``/``Rule`` declaration it reads in the source
into straight-line code. That code depends on the declaration's structure
(which fields, which presence tests, which parameters, which field and
message a violation carries), so the runtime compares the structure of the
live spec with the one the code was written for before running it.
:func:`declaration_of` is the live side of that contract: the spec's own data
as the contract's typed fact (:mod:`loom.core.engine.contract`, where the
structure is encoded, once, for both sides); :func:`describe` gives it as
canonical JSON, and :func:`callables` the functions the code calls directly.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from loom.core.engine import contract
from loom.core.use_case.compute import ComputeSpec
from loom.core.use_case.field_ref import FieldRef, Predicate
from loom.core.use_case.rule import RequirePresentSpec, RuleSpec


def _path(ref: FieldRef) -> contract.FieldPath:
    return contract.FieldPath(tuple(ref.path), tuple(ref.patch))


def _presence(predicate: Predicate | None) -> contract.Presence | None:
    if predicate is None:
        return None
    if isinstance(predicate, FieldRef):
        return _path(predicate)
    left, right = _presence(predicate.left), _presence(predicate.right)
    assert left is not None and right is not None
    return contract.PresenceOp(predicate.op, left, right)


def declaration_of(spec: object) -> contract.Declaration | None:
    """The contract's fact of a DSL spec; ``None`` for anything else."""
    if isinstance(spec, ComputeSpec):
        return contract.ComputeDeclaration(
            target=_path(spec.target),
            sources=tuple(_path(s) for s in spec.sources),
            include_command=spec.include_command,
            via=spec.via is not None,
            params=tuple(spec.param_names),
            predicate=_presence(spec.predicate),
        )
    if isinstance(spec, RuleSpec):
        return contract.RuleDeclaration(
            kind=spec.kind,
            sources=tuple(_path(s) for s in spec.sources),
            whole_command=spec.whole_command,
            params=tuple(spec.param_names),
            predicate=_presence(spec.predicate),
            field=spec.violation_field,
            message=spec.violation_message,
        )
    if isinstance(spec, RequirePresentSpec):
        return contract.RequirePresentDeclaration(
            target=_path(spec.target),
            field=spec.field,
            message=spec.message,
            predicate=_presence(spec.predicate),
        )
    return None


def structure(spec: object) -> dict[str, Any] | None:
    """The structure of a DSL spec as JSON-able data; ``None`` for anything else."""
    found = declaration_of(spec)
    return None if found is None else contract.declaration_structure(found)


def describe(spec: object) -> str | None:
    """:func:`structure` as canonical JSON; ``None`` for anything but a DSL spec."""
    found = declaration_of(spec)
    return None if found is None else contract.describe(found)


def callables(spec: object) -> tuple[Callable[..., Any], ...]:
    """The functions compiled code calls in place of the spec (``via``, the evaluator)."""
    if isinstance(spec, ComputeSpec):
        return () if spec.via is None else (spec.via,)
    if isinstance(spec, RuleSpec):
        return (spec.evaluator,)
    return ()


__all__ = ["callables", "declaration_of", "describe", "structure"]
