"""Declaring use cases: the base class, parameter markers, computes and rules."""

from loom.core.use_case.compute import Compute, ComputeFn, ComputeSpec
from loom.core.use_case.field_ref import CommandField, F, FieldExpr, FieldRef, PredicateOp
from loom.core.use_case.markers import Exists, Input, Load, LoadById, OnMissing
from loom.core.use_case.rule import (
    RequirePresentSpec,
    Rule,
    RuleFn,
    RuleKind,
    RuleSpec,
    RuleViolation,
    RuleViolations,
)
from loom.core.use_case.use_case import UseCase

__all__ = [
    "CommandField",
    "Compute",
    "ComputeFn",
    "ComputeSpec",
    "Exists",
    "F",
    "FieldExpr",
    "FieldRef",
    "Input",
    "Load",
    "LoadById",
    "OnMissing",
    "PredicateOp",
    "RequirePresentSpec",
    "Rule",
    "RuleFn",
    "RuleKind",
    "RuleSpec",
    "RuleViolation",
    "RuleViolations",
    "UseCase",
]
