"""Pipeline steps 5 (computes) and 6 (rules)."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from loom.core.engine import RuntimeExecutor
from loom.core.errors import RuleViolation, RuleViolations
from tests.support import InMemoryRepository
from tests.usecases.computes_rules import (
    Register,
    RegisterCrashing,
    RegisterWithContext,
    StepsWithoutInput,
)
from tests.usecases.domain import OBSERVED, Signup, User

MakeExecutor = Callable[..., RuntimeExecutor]

INVITER = User(1, "inviter@x", "Inviter")
TAKEN = User(2, "taken@x", "Taken")


@pytest.fixture(autouse=True)
def _clear_observed() -> Iterator[None]:
    OBSERVED.clear()
    yield
    OBSERVED.clear()


@pytest.fixture
def executor(make_executor: MakeExecutor) -> RuntimeExecutor:
    return make_executor()


def observed_names() -> list[str]:
    return [name for name, _ in OBSERVED]


def violations_of(error: RuleViolations) -> list[tuple[str, str]]:
    return [(violation.field, violation.message) for violation in error.violations]


# -- computes -----------------------------------------------------------------------


async def test_computes_run_in_order_each_on_the_previous_result(
    executor: RuntimeExecutor,
) -> None:
    result = await executor.execute(
        Register(), payload={"email": "ANN@X", "name": "  Ann  ", "age": 30}
    )

    assert result == Signup(email="ann@x", name="Ann", age=30)
    assert observed_names() == ["strip_name", "lower_email", "name_required", "adult"]
    assert OBSERVED[0][1] == Signup(email="ANN@X", name="  Ann  ", age=30)
    assert OBSERVED[1][1] == Signup(email="ANN@X", name="Ann", age=30)


async def test_rules_check_the_computed_command(executor: RuntimeExecutor) -> None:
    await executor.execute(Register(), payload={"email": "ANN@X", "name": " Ann ", "age": 30})

    rule_inputs = [cmd for name, cmd in OBSERVED if name in {"name_required", "adult"}]
    assert rule_inputs == [Signup(email="ann@x", name="Ann", age=30)] * 2


async def test_a_compute_with_a_third_argument_gets_everything_bound_so_far(
    executor: RuntimeExecutor,
) -> None:
    users = InMemoryRepository([INVITER, TAKEN])

    await executor.execute(
        RegisterWithContext(),
        params={"inviter_id": 1},
        payload={"email": "new@x", "name": " New "},
        dependencies={User: users},
    )

    (context,) = [value for name, value in OBSERVED if name == "note_context"]
    assert isinstance(context, dict)
    assert context == {
        "inviter_id": 1,
        "cmd": Signup(email="new@x", name="New"),
        "inviter": INVITER,
        "taken": False,
    }


async def test_a_rule_with_a_third_argument_gets_the_context(executor: RuntimeExecutor) -> None:
    users = InMemoryRepository([INVITER, TAKEN])

    await executor.execute(
        RegisterWithContext(),
        params={"inviter_id": 1},
        payload={"email": "new@x", "name": " New "},
        dependencies={User: users},
    )

    (context,) = [value for name, value in OBSERVED if name == "email_not_taken"]
    assert context == {
        "inviter_id": 1,
        "cmd": Signup(email="new@x", name="New"),
        "inviter": INVITER,
        "taken": False,
    }


async def test_computes_and_rules_only_run_with_an_input(executor: RuntimeExecutor) -> None:
    result = await executor.execute(StepsWithoutInput(), params={"user_id": 3})

    assert result == 3
    assert OBSERVED == []


# -- rules ---------------------------------------------------------------------------------


async def test_one_failing_rule_raises_rule_violations(executor: RuntimeExecutor) -> None:
    with pytest.raises(RuleViolations) as caught:
        await executor.execute(Register(), payload={"email": "a@x", "name": "Ann", "age": 12})

    assert violations_of(caught.value) == [("age", "must be 18 or older")]


async def test_every_rule_runs_and_violations_are_reported_together_in_rule_order(
    executor: RuntimeExecutor,
) -> None:
    with pytest.raises(RuleViolations) as caught:
        await executor.execute(Register(), payload={"email": "a@x", "name": "  ", "age": 12})

    assert isinstance(caught.value.violations, tuple)
    assert all(isinstance(v, RuleViolation) for v in caught.value.violations)
    assert violations_of(caught.value) == [
        ("name", "is required"),
        ("age", "must be 18 or older"),
    ]
    assert observed_names()[-2:] == ["name_required", "adult"]


async def test_context_rules_are_reported_with_the_others(executor: RuntimeExecutor) -> None:
    users = InMemoryRepository([INVITER, TAKEN])

    with pytest.raises(RuleViolations) as caught:
        await executor.execute(
            RegisterWithContext(),
            params={"inviter_id": 1},
            payload={"email": "taken@x", "name": ""},
            dependencies={User: users},
        )

    assert violations_of(caught.value) == [
        ("name", "is required"),
        ("email", "is already taken"),
    ]


async def test_a_rule_raising_another_exception_stops_at_once(executor: RuntimeExecutor) -> None:
    with pytest.raises(RuntimeError, match="rule crashed") as caught:
        await executor.execute(
            RegisterCrashing(), payload={"email": "a@x", "name": "", "age": 12}
        )

    assert not isinstance(caught.value, RuleViolations)
    assert observed_names() == ["name_required", "crash"]


async def test_passing_rules_let_execute_run(executor: RuntimeExecutor) -> None:
    result = await executor.execute(Register(), payload={"email": "a@x", "name": "Ann", "age": 18})

    assert result == Signup(email="a@x", name="Ann", age=18)
