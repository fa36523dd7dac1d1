"""Declaring use cases: the base class, parameter markers, computes and rules."""

from loom.core.use_case.compute import ComputeFn
from loom.core.use_case.markers import Exists, Input, Load, LoadById, OnMissing
from loom.core.use_case.rule import RuleFn, RuleViolation, RuleViolations
from loom.core.use_case.use_case import UseCase

__all__ = [
    "ComputeFn",
    "Exists",
    "Input",
    "Load",
    "LoadById",
    "OnMissing",
    "RuleFn",
    "RuleViolation",
    "RuleViolations",
    "UseCase",
]
