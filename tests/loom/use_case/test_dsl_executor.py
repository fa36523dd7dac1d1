"""The compute/rule DSL through the executor, in both execution modes."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from loom.core.engine import RuntimeExecutor
from loom.core.errors import RuleViolations
from tests.support import InMemoryRepository, RecordingLogger
from tests.usecases.domain import OBSERVED, User
from tests.usecases.dsl import (
    CreateProduct,
    CreateProductUseCase,
    Dimensions,
    RenameProductUseCase,
    UpdateProduct,
    UpdateProductUseCase,
)

MakeExecutor = Callable[..., RuntimeExecutor]

ANN = User(1, "ann@x", "Ann")


@pytest.fixture(autouse=True)
def _clear_observed() -> Iterator[None]:
    OBSERVED.clear()
    yield
    OBSERVED.clear()


@pytest.fixture
def executor(make_executor: MakeExecutor) -> RuntimeExecutor:
    return make_executor()


def violations_of(error: RuleViolations) -> list[tuple[str, str]]:
    return [(violation.field, violation.message) for violation in error.violations]


def observed(name: str) -> list[object]:
    return [value for seen, value in OBSERVED if seen == name]


async def update(executor: RuntimeExecutor, payload: dict[str, object]) -> UpdateProduct:
    result = await executor.execute(
        UpdateProductUseCase(),
        params={"product_id": 7, "owner_id": 1},
        payload=payload,
        dependencies={User: InMemoryRepository([ANN])},
    )
    assert isinstance(result, UpdateProduct)
    return result


# -- computes ------------------------------------------------------------------------


async def test_computes_run_in_order_and_a_copy_without_via_sees_the_previous_result(
    executor: RuntimeExecutor,
) -> None:
    result = await executor.execute(
        CreateProductUseCase(), payload={"name": "  red   chair ", "price": 5}
    )

    assert result == CreateProduct(name="Red Chair", price=5, slug="Red Chair")
    assert observed("normalize_name") == ["  red   chair "]
    assert observed("height_from_width") == []


async def test_a_compute_sets_a_nested_path_when_its_predicate_holds(
    executor: RuntimeExecutor,
) -> None:
    result = await executor.execute(
        CreateProductUseCase(), payload={"name": "box", "price": 5, "dims": {"width": 3}}
    )

    assert result.dims == Dimensions(width=3, height=6)
    assert observed("height_from_width") == [Dimensions(width=3)]


async def test_a_nested_predicate_is_absent_below_a_none_value(
    executor: RuntimeExecutor,
) -> None:
    result = await executor.execute(
        CreateProductUseCase(), payload={"name": "box", "price": 5, "dims": {"height": 1}}
    )

    assert result.dims == Dimensions(width=None, height=1)
    assert observed("height_from_width") == []
    assert observed("truthy_but_not_true") == []


async def test_from_params_passes_the_bound_parameter_when_the_patch_field_was_sent(
    executor: RuntimeExecutor,
) -> None:
    result = await update(executor, {"name": "  lamp  "})

    assert result == UpdateProduct(name="lamp")
    assert observed("normalize_with_product") == [("  lamp  ", 7)]


async def test_a_patch_field_sent_as_null_is_present(executor: RuntimeExecutor) -> None:
    result = await update(executor, {"name": None})

    assert result == UpdateProduct(name=None)
    assert observed("normalize_with_product") == [(None, 7)]


async def test_a_patch_field_left_out_skips_the_compute(executor: RuntimeExecutor) -> None:
    result = await update(executor, {"note": "n"})

    assert result == UpdateProduct(note="n")
    assert observed("normalize_with_product") == []


# -- rules ---------------------------------------------------------------------------


async def test_a_string_from_check_is_a_violation_on_the_target(
    executor: RuntimeExecutor,
) -> None:
    with pytest.raises(RuleViolations) as caught:
        await executor.execute(CreateProductUseCase(), payload={"name": "x", "price": 0})

    assert violations_of(caught.value) == [("price", "must be positive")]


async def test_a_truthy_result_other_than_true_passes(executor: RuntimeExecutor) -> None:
    result = await executor.execute(
        CreateProductUseCase(), payload={"name": "x", "price": 1, "dims": {"width": 50}}
    )

    assert observed("truthy_but_not_true") == [50]
    assert result.dims == Dimensions(width=50, height=100)


async def test_forbid_with_the_whole_command_names_the_command_class(
    executor: RuntimeExecutor,
) -> None:
    with pytest.raises(RuleViolations) as caught:
        await update(executor, {})

    assert violations_of(caught.value) == [("UpdateProduct", "at least one field must be provided")]
    assert observed("payload_is_empty") == [frozenset()]
    assert observed("name_equals_price") == []


async def test_true_from_forbid_is_a_violation_on_its_first_source_with_its_message(
    executor: RuntimeExecutor,
) -> None:
    with pytest.raises(RuleViolations) as caught:
        await update(executor, {"name": " 5 ", "price": 5})

    assert violations_of(caught.value) == [("name", "name cannot be equal to price")]
    assert observed("name_equals_price") == [("5", 5)]


async def test_an_and_predicate_needs_both_fields(executor: RuntimeExecutor) -> None:
    await update(executor, {"name": "5"})

    assert observed("name_equals_price") == []


async def test_a_returned_violation_is_raised_as_is_next_to_the_others(
    executor: RuntimeExecutor,
) -> None:
    with pytest.raises(RuleViolations) as caught:
        await update(executor, {"name": "150", "price": 150})

    assert violations_of(caught.value) == [
        ("name", "name cannot be equal to price"),
        ("budget", "over 100 for Ann"),
    ]
    assert observed("within_budget") == [(150, 1)]


async def test_a_rule_violation_is_logged_under_the_declaration(
    make_executor: MakeExecutor,
) -> None:
    logger = RecordingLogger()
    executor = make_executor(logger=logger)

    with pytest.raises(RuleViolations):
        await executor.execute(CreateProductUseCase(), payload={"name": "x", "price": -1})

    (line,) = [line for line in logger.lines if line.event.startswith("[RULE]")]
    assert line.fields["rule"] == "Rule.check(F(CreateProduct).price)"
    assert line.fields["field"] == "price"


@pytest.mark.parametrize(
    ("payload", "expected"),
    [
        ({}, [("name", "name is required")]),
        ({"name": None}, []),
        ({"name": "a", "price": 3}, [("note", "a note is needed with a price")]),
        ({"name": "a", "price": None}, [("note", "a note is needed with a price")]),
        ({"price": 3, "note": "why"}, [("name", "name is required")]),
        ({"name": "a", "price": 3, "note": "why"}, []),
        ({"price": 3, "note": " "}, [("name", "name is required"), ("note", "must not be blank")]),
    ],
)
async def test_require_present(
    executor: RuntimeExecutor, payload: dict[str, object], expected: list[tuple[str, str]]
) -> None:
    if not expected:
        result = await executor.execute(RenameProductUseCase(), payload=payload)
        assert result == UpdateProduct.model_validate(payload)
        return
    with pytest.raises(RuleViolations) as caught:
        await executor.execute(RenameProductUseCase(), payload=payload)
    assert violations_of(caught.value) == expected
