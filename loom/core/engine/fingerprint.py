"""What a generated executor is specialized on, and how to tell it still fits.

loomgen writes one executor per use case from the *source* of the use case;
the runtime holds a plan compiled from the *live* class. They fit when:

1. the plan's **shape** (every name, marker argument, policy, flag and step
   count the generated code hard-codes) has the same fingerprint as the one
   recorded at build time, and
2. the **objects** the generated module imported (the use case class, types
   it converts to, the command type, entity types, compute and rule
   functions) are the very objects the live plan holds.

The shape is written once, in :mod:`loom.core.engine.contract`, as typed
facts both sides build with the same functions; this module is the runtime's
side: the facts of a live plan.
"""

from __future__ import annotations

import inspect

# GENERATED_FORMAT and source_digest are the contract's; the loader and loomgen's
# registry and workers read them from here too.
from loom.core.engine.contract import (
    GENERATED_FORMAT,
    ParamFact,
    Shape,
    UseCaseFacts,
    fingerprint,
    shape,
    source_digest,
    specialized,
    use_case_facts,
)
from loom.core.engine.plan import ExecutionPlan
from loom.core.engine.steps import converts


def plan_facts(plan: ExecutionPlan) -> UseCaseFacts:
    """The contract's facts of a live plan."""
    use_case = plan.use_case_type
    return use_case_facts(
        use_case=f"{use_case.__module__}:{use_case.__qualname__}",
        is_async=inspect.iscoroutinefunction(use_case.execute),
        read_only=plan.read_only,
        params=[
            ParamFact(binding.name, converts(binding.annotation), binding.has_default)
            for binding in plan.param_bindings
        ],
        input=plan.input_binding,
        loads=plan.load_steps,
        exists=plan.exists_steps,
        computes=plan.compute_steps,
        rules=plan.rule_steps,
    )


def plan_shape(plan: ExecutionPlan) -> Shape:
    """The canonical shape of a live plan."""
    return shape(plan_facts(plan))


def plan_fingerprint(plan: ExecutionPlan) -> str:
    """The fingerprint of a live plan."""
    return fingerprint(plan_shape(plan))


def specialized_objects(plan: ExecutionPlan) -> tuple[object, ...]:
    """The objects a generated executor for ``plan`` must have bound (see
    :func:`loom.core.engine.contract.specialized`)."""
    return specialized(
        plan.use_case_type,
        [b.annotation for b in plan.param_bindings if converts(b.annotation)],
        None if plan.input_binding is None else plan.input_binding.command_type,
        [step.entity_type for step in plan.load_steps],
        [step.entity_type for step in plan.exists_steps],
        [step.fn for step in plan.compute_steps],
        [step.fn for step in plan.rule_steps],
    )


__all__ = [
    "GENERATED_FORMAT",
    "Shape",
    "plan_facts",
    "plan_fingerprint",
    "plan_shape",
    "source_digest",
    "specialized_objects",
]
