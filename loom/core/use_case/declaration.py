"""A DSL declaration as plain data: what loomgen compiles it from, checked at prepare.

loomgen can turn a ``Compute``/``Rule`` declaration it reads in the source
into straight-line code. That code depends on the declaration's structure
(which fields, which presence tests, which parameters, which field and
message a violation carries), so the runtime compares the structure of the
live spec with the one the code was written for before running it:
:func:`describe` gives that structure as canonical JSON, from the spec's own
data, and :func:`callables` the functions the code calls directly.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from loom.core.use_case.compute import ComputeSpec
from loom.core.use_case.field_ref import FieldRef, Predicate
from loom.core.use_case.rule import RequirePresentSpec, RuleSpec

_CANONICAL = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=True)


def _ref(ref: FieldRef) -> dict[str, Any]:
    return {"path": list(ref.path), "patch": list(ref.patch)}


def _predicate(predicate: Predicate | None) -> dict[str, Any] | None:
    if predicate is None:
        return None
    if isinstance(predicate, FieldRef):
        return {"ref": _ref(predicate)}
    return {
        "op": predicate.op.value,
        "left": _predicate(predicate.left),
        "right": _predicate(predicate.right),
    }


def structure(spec: object) -> dict[str, Any] | None:
    """The structure of a DSL spec as JSON-able data; ``None`` for anything else."""
    if isinstance(spec, ComputeSpec):
        return {
            "kind": "compute",
            "target": _ref(spec.target),
            "sources": [_ref(s) for s in spec.sources],
            "include_command": spec.include_command,
            "via": spec.via is not None,
            "params": list(spec.param_names),
            "predicate": _predicate(spec.predicate),
        }
    if isinstance(spec, RuleSpec):
        return {
            "kind": spec.kind.value,
            "sources": [_ref(s) for s in spec.sources],
            "whole_command": spec.whole_command,
            "params": list(spec.param_names),
            "predicate": _predicate(spec.predicate),
            "field": spec.violation_field,
            "message": spec.violation_message,
        }
    if isinstance(spec, RequirePresentSpec):
        return {
            "kind": spec.kind.value,
            "target": _ref(spec.target),
            "field": spec.field,
            "message": spec.message,
            "predicate": _predicate(spec.predicate),
        }
    return None


def canonical(data: dict[str, Any]) -> str:
    """A structure as canonical JSON (the same bytes on every run and machine)."""
    return _CANONICAL.encode(data)


def describe(spec: object) -> str | None:
    """:func:`structure` as canonical JSON; ``None`` for anything but a DSL spec."""
    found = structure(spec)
    return None if found is None else canonical(found)


def callables(spec: object) -> tuple[Callable[..., Any], ...]:
    """The functions compiled code calls in place of the spec (``via``, the evaluator)."""
    if isinstance(spec, ComputeSpec):
        return () if spec.via is None else (spec.via,)
    if isinstance(spec, RuleSpec):
        return (spec.evaluator,)
    return ()


__all__ = ["callables", "canonical", "describe", "structure"]
