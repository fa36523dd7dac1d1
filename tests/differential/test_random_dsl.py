"""DSL declarations compiled inline by loomgen behave exactly like the specs.

:func:`tests.differential.dsl_strategy.dsl_examples` draws modules of
``Compute``/``Rule`` declarations (targets, sources, params, nested paths,
``&``/``|`` predicates, patch and non-patch fields, every evaluator outcome)
with requests. loomgen builds each; single-field declarations become plain
code, the others are called as specs; every request runs interpreted and
generated and everything observable must match (see
:mod:`tests.differential.harness`). ``ci`` profile: 500 examples.
"""

from __future__ import annotations

import pytest
from hypothesis import event, given

from tests.differential.dsl_strategy import DslExample, dsl_examples
from tests.differential.harness import Request, Workspace, build, check_sources, discard
from tests.differential.profiles import robustness_settings


@pytest.mark.slow
@robustness_settings()
@given(example=dsl_examples())
def test_inlined_declarations_match_the_specs(workspace: Workspace, example: DslExample) -> None:
    outcomes = check_sources(
        workspace,
        example.sources,
        example.requests,
        use_cases=example.use_cases,
        outside=example.outside,
        allow_left=example.allow_left,
    )
    for outcome in outcomes:
        event(f"request outcome: {outcome}")
    scenario = example.scenario
    event(f"patch style: {scenario.schema.patch_style}")
    event(f"rebind: {scenario.rebind[1] if scenario.rebind else None}")


def test_single_field_declarations_are_compiled_inline(workspace: Workspace) -> None:
    """The strategy's declarations do reach the inline path (not only the spec call)."""
    source = '''
from typing import Annotated, Any

from loom.core.command import Command
from loom.core.use_case import CommandField, Compute, F, Input, Rule, UseCase


class Cmd(Command):
    name: Annotated[str | None, CommandField(patch=True)] = None
    size: int | None = None


def shout(name: str | None) -> str | None:
    return None if name is None else name.upper()


def too_big(size: int | None) -> Any:
    return size is not None and size > 3


SHOUT = Compute.set(F(Cmd).name).from_command(F(Cmd).name, via=shout).when_present(F(Cmd).name)


class UC(UseCase[Any, Any]):
    computes = [SHOUT]
    rules = [Rule.check(F(Cmd).size, via=too_big, message="too big"), Rule.require_present(F(Cmd).name)]

    def execute(self, cmd: Cmd = Input()) -> Any:
        return cmd
'''
    built = build(workspace, {"ucs.py": source})
    try:
        generated = next(built.generated_folder.rglob("ucs.py")).read_text(encoding="utf-8")
        assert "SHOUT(" not in generated and "UC_rules_0(" not in generated
        assert 'cmd.model_copy(update={"name": shout(cmd.name)})' in generated
        assert "outcome = too_big(cmd.size)" in generated
        assert 'rule_outcome(outcome, "size", "too big")' in generated
        assert '"name" not in fields_set' in generated
    finally:
        discard(workspace, built)
    check_sources(
        workspace,
        {"ucs.py": source},
        [
            Request("UC", payload={"name": "ada", "size": 1}),
            Request("UC", payload={"size": 9}),
            Request("UC", payload={"name": None}),
        ],
        use_cases=["UC"],
    )
