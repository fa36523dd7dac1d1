"""The compute/rule DSL on its own: field paths, presence, specs, declaration and compile errors."""

from __future__ import annotations

import dataclasses
from typing import Annotated, Any

import pytest
from pydantic import Field

from loom.core.command import Command
from loom.core.engine import CompilationError, UseCaseCompiler
from loom.core.use_case import (
    CommandField,
    Compute,
    ComputeSpec,
    F,
    FieldExpr,
    FieldRef,
    Input,
    LoadById,
    PredicateOp,
    RequirePresentSpec,
    Rule,
    RuleKind,
    RuleSpec,
    RuleViolation,
    UseCase,
)
from loom.core.use_case.field_ref import is_present, predicate_holds, resolve
from tests.usecases.domain import User

PATCH = CommandField(patch=True)


class Inner(Command):
    size: int | None = None
    tag: Annotated[str | None, PATCH] = None


class Cmd(Command):
    name: Annotated[str | None, PATCH] = None
    price: int | None = None
    label: str = ""
    inner: Inner | None = None
    loose: dict[str, Any] | None = None

    @property
    def shout(self) -> str:
        return (self.name or "").upper()


class Other(Command):
    name: str = ""


def build(payload: dict[str, Any]) -> tuple[Cmd, frozenset[str]]:
    return Cmd.from_payload(payload)


# -- F paths -----------------------------------------------------------------------


def test_a_path_records_root_names_and_patch_flags() -> None:
    ref = F(Cmd).inner.tag

    assert isinstance(ref, FieldRef)
    assert ref.root is Cmd
    assert ref.path == ("inner", "tag")
    assert ref.patch == (False, True)
    assert ref.leaf == "tag"
    assert F(Cmd).name.patch == (True,)
    assert repr(ref) == "F(Cmd).inner.tag"


def test_a_reference_built_from_root_and_path_works_out_its_patch_flags() -> None:
    assert FieldRef(Cmd, ("inner", "tag")) == F(Cmd).inner.tag
    assert FieldRef(root=Cmd, path=("name",)).patch == (True,)
    with pytest.raises(ValueError, match="cannot be empty"):
        FieldRef(Cmd, ())
    with pytest.raises(ValueError, match="patch flags"):
        FieldRef(Cmd, ("name",), (True, False))
    with pytest.raises(AttributeError):
        FieldRef(Cmd, ("nope",))


def test_equal_paths_are_equal_and_item_access_reaches_any_name() -> None:
    assert F(Cmd).inner.size == F(Cmd)["inner"]["size"]
    assert F(Cmd).inner != F(Other).name


def test_a_name_that_is_no_field_is_rejected_at_declaration() -> None:
    with pytest.raises(AttributeError, match="Cmd has no field 'nme'"):
        F(Cmd).nme
    with pytest.raises(AttributeError, match="Inner has no field 'color'"):
        F(Cmd).inner.color


def test_properties_and_paths_below_non_models_are_allowed() -> None:
    assert F(Cmd).shout.patch == (False,)
    assert F(Cmd).loose.anything.patch == (False, False)


def test_f_takes_a_class_or_a_name_and_private_names_are_not_paths() -> None:
    with pytest.raises(TypeError):
        F(42)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        F("")
    with pytest.raises(AttributeError):
        F(Cmd)._private


def test_a_named_root_is_a_label_read_from_the_command() -> None:
    ref = F("user").price  # Cmd.price is not a patch field; nothing here could tell anyway
    assert (ref.root, ref.path, ref.patch) == ("user", ("price",), (False,))
    assert repr(ref) == "F('user').price"
    assert resolve(ref, Cmd(price=3)) == 3
    assert is_present(ref, Cmd(price=3), frozenset()) is True
    assert is_present(ref, Cmd(), frozenset({"price"})) is False


def test_and_or_build_a_predicate_tree() -> None:
    expr = F(Cmd).name & F(Cmd).price | F(Cmd).label

    assert isinstance(expr, FieldExpr)
    assert expr.op is PredicateOp.OR
    assert expr.right == F(Cmd).label
    assert isinstance(expr.left, FieldExpr)
    assert expr.left.op is PredicateOp.AND
    assert (expr.left.left, expr.left.right) == (F(Cmd).name, F(Cmd).price)
    assert repr(expr) == "((F(Cmd).name & F(Cmd).price) | F(Cmd).label)"
    with pytest.raises(TypeError):
        F(Cmd).name & "price"  # type: ignore[operator]


# -- presence ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("payload", "ref", "present"),
    [
        ({}, F(Cmd).name, False),
        ({"name": None}, F(Cmd).name, True),
        ({"name": "a"}, F(Cmd).name, True),
        ({}, F(Cmd).price, False),
        ({"price": None}, F(Cmd).price, False),
        ({"price": 0}, F(Cmd).price, True),
        ({}, F(Cmd).label, True),
        ({}, F(Cmd).inner.size, False),
        ({"inner": None}, F(Cmd).inner.size, False),
        ({"inner": {"size": 2}}, F(Cmd).inner.size, True),
        ({"inner": {"size": 2}}, F(Cmd).inner.tag, False),
        ({"inner": {"tag": None}}, F(Cmd).inner.tag, True),
        ({"inner": {"tag": "t"}}, F(Cmd).inner, True),
    ],
)
def test_presence(payload: dict[str, Any], ref: FieldRef, present: bool) -> None:
    command, fields_set = build(payload)

    assert is_present(ref, command, fields_set) is present


def test_presence_of_a_patch_field_reads_the_pipeline_fields_set() -> None:
    command, _ = build({"name": "a"})

    assert is_present(F(Cmd).name, command, frozenset()) is False


def test_a_patch_field_with_an_alias_is_present_by_its_python_name() -> None:
    class Aliased(Command):
        display: Annotated[str | None, PATCH, Field(alias="displayName")] = None

    ref = F(Aliased).display
    command, fields_set = Aliased.from_payload({"displayName": None})

    assert ref.patch == (True,)
    assert is_present(ref, command, fields_set)
    assert not is_present(ref, *Aliased.from_payload({}))


def test_predicates_combine_presence() -> None:
    command, fields_set = build({"name": None})

    assert predicate_holds(F(Cmd).name & F(Cmd).label, command, fields_set)
    assert not predicate_holds(F(Cmd).name & F(Cmd).price, command, fields_set)
    assert predicate_holds(F(Cmd).price | F(Cmd).name, command, fields_set)
    assert not predicate_holds(F(Cmd).price | F(Cmd).inner.size, command, fields_set)


def recorder(seen: list[Any], result: Any) -> Any:
    """A function appending its arguments (one value, or the tuple) to ``seen``."""

    def record(*args: Any) -> Any:
        seen.append(args[0] if len(args) == 1 else args)
        return result

    return record


# -- Compute -------------------------------------------------------------------------


def test_a_single_source_without_via_is_copied() -> None:
    spec = Compute.set(F(Cmd).label).from_command(F(Cmd).name)

    assert spec(Cmd(name="a"), frozenset(), {}) == Cmd(name="a", label="a")


def test_via_receives_sources_then_params_in_order() -> None:
    spec = (
        Compute.set(F(Cmd).label)
        .from_command(F(Cmd).name, F(Cmd).price, via=lambda *args: repr(args))
        .from_params("x")
        .from_params("y", "x")
    )

    result = spec(Cmd(name="n", price=2), frozenset(), {"x": 1, "y": 3, "z": 4})

    assert result.label == "('n', 2, 1, 3, 1)"
    assert spec.param_names == ("x", "y", "x")


def test_from_command_without_fields_passes_the_whole_command() -> None:
    seen: list[object] = []
    spec = Compute.set(F(Cmd).label).from_command(via=recorder(seen, "w"))

    command = Cmd(price=1)
    assert spec(command, frozenset({"price"}), {}).label == "w"
    assert seen == [command]
    assert spec.include_command and spec.sources == ()


def test_a_nested_target_is_copied_level_by_level() -> None:
    spec = Compute.set(F(Cmd).inner.size).from_command(F(Cmd).price)
    command, fields_set = build({"price": 4, "inner": {"tag": "t"}})

    result = spec(command, fields_set, {})

    assert result.inner == Inner(size=4, tag="t")
    assert command.inner == Inner(tag="t")
    assert result.inner is not None and result.inner.model_fields_set == {"size", "tag"}


def test_a_nested_target_below_none_fails_like_attribute_access() -> None:
    spec = Compute.set(F(Cmd).inner.size).from_command(F(Cmd).price)

    with pytest.raises(AttributeError, match="model_copy"):
        spec(Cmd(price=4), frozenset(), {})


def test_when_present_skips_and_returns_the_same_command() -> None:
    spec = Compute.set(F(Cmd).label).from_command(F(Cmd).name).when_present(F(Cmd).name)
    command = Cmd(name="a")

    assert spec(command, frozenset(), {}) is command
    assert spec(command, frozenset({"name"}), {}).label == "a"


def test_the_result_goes_through_the_commands_own_model_copy() -> None:
    calls: list[dict[str, Any]] = []

    class Audited(Command, frozen=True):
        a: int = 0
        b: int = 0

        def model_copy(self, *, update: Any = None, deep: bool = False) -> Any:
            calls.append(dict(update or {}))
            return super().model_copy(update=update, deep=deep)

    spec = Compute.set(F(Audited).b).from_command(F(Audited).a, via=lambda a: a + 1)

    assert spec(Audited(a=1), frozenset(), {}) == Audited(a=1, b=2)
    assert calls == [{"b": 2}]


def test_compute_declaration_mistakes() -> None:
    with pytest.raises(ValueError, match="give a source field, or via="):
        Compute.set(F(Cmd).label).from_command()
    with pytest.raises(ValueError, match="several source fields need via="):
        Compute.set(F(Cmd).label).from_command(F(Cmd).name, F(Cmd).price)
    with pytest.raises(ValueError, match="exactly one source"):
        Compute.set(F(Cmd).label).from_command(F(Cmd).name).from_params("x")
    with pytest.raises(ValueError, match="at least one parameter name"):
        Compute.set(F(Cmd).label).from_command(F(Cmd).name, via=str).from_params()
    with pytest.raises(ValueError, match="is not a parameter name"):
        Compute.set(F(Cmd).label).from_command(F(Cmd).name, via=str).from_params("a b")
    with pytest.raises(ValueError, match="can only set model fields"):
        Compute.set(F(Cmd).shout)
    with pytest.raises(ValueError, match="can only set model fields"):
        Compute.set(F(Cmd).loose.key)
    with pytest.raises(TypeError):
        Compute.set("label")  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        Compute.set(F(Cmd).label).from_command("name")  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        Compute.set(F(Cmd).label).from_command(F(Cmd).name).when_present("name")  # type: ignore[arg-type]


def test_a_compute_spec_is_frozen_data() -> None:
    predicate = F(Cmd).name | F(Cmd).price
    spec = (
        Compute.set(F(Cmd).label)
        .from_command(F(Cmd).name, via=str)
        .from_params("p")
        .when_present(predicate)
    )

    assert isinstance(spec, ComputeSpec)
    assert (spec.target, spec.sources, spec.via, spec.param_names, spec.predicate) == (
        F(Cmd).label,
        (F(Cmd).name,),
        str,
        ("p",),
        predicate,
    )
    assert spec.include_command is False
    assert spec.__name__ == "Compute.set(F(Cmd).label)"
    with pytest.raises(dataclasses.FrozenInstanceError):
        spec.via = None  # type: ignore[misc]


def test_a_missing_context_entry_is_named() -> None:
    spec = Compute.set(F(Cmd).label).from_command(F(Cmd).name, via=str).from_params("p")

    with pytest.raises(ValueError, match=r"from_params\('p'\) is not in the context"):
        spec(Cmd(), frozenset(), {})


# -- Rule ----------------------------------------------------------------------------


def run(spec: Any, command: Any = None, fields_set: frozenset[str] = frozenset()) -> Any:
    """The violation ``spec`` raises on ``command``, or ``None``."""
    try:
        spec(Cmd() if command is None else command, fields_set, {"p": 9})
    except RuleViolation as violation:
        return violation
    return None


@pytest.mark.parametrize("result", [None, False, 0, 1, [], ["x"], object()])
def test_anything_but_a_violation_a_string_or_true_passes(result: object) -> None:
    assert run(Rule.check(F(Cmd).price, via=lambda price: result)) is None


def test_a_string_is_a_violation_on_the_first_target() -> None:
    violation = run(Rule.check(F(Cmd).price, F(Cmd).name, via=lambda p, n: "bad"))

    assert (violation.field, violation.message) == ("price", "bad")


def test_true_is_a_violation_with_the_message_or_the_default() -> None:
    with_message = run(Rule.check(F(Cmd).price, via=lambda p: True, message="no"))
    without = run(Rule.check(F(Cmd).price, via=lambda p: True))

    assert (with_message.field, with_message.message) == ("price", "no")
    assert (without.field, without.message) == ("price", "Rule check failed")


def test_a_returned_violation_is_raised_as_is() -> None:
    own = RuleViolation("elsewhere", "custom")

    assert run(Rule.check(F(Cmd).price, via=lambda p: own)) is own


def test_forbid_receives_command_fields_set_and_params() -> None:
    seen: list[tuple[Any, ...]] = []
    spec = Rule.forbid(recorder(seen, True), message="m").from_params("p")
    command = Cmd(name="a")

    violation = run(spec, command, frozenset({"name"}))

    assert seen == [(command, frozenset({"name"}), 9)]
    assert (violation.field, violation.message) == ("p", "m")


def test_the_violation_field_falls_back_in_order() -> None:
    def forbid() -> RuleSpec:
        return Rule.forbid(lambda *args: True, message="m")

    assert run(forbid()).field == "Cmd"
    assert run(forbid().when_present(F(Cmd).label)).field == "label"
    assert run(forbid().when_present(F(Cmd).label | F(Cmd).label)).field == "Cmd"
    assert run(forbid().from_params("p").when_present(F(Cmd).label)).field == "p"
    assert run(forbid().from_params("p").from_command(F(Cmd).inner)).field == "inner"
    assert forbid().violation_field is None


def test_from_command_switches_between_fields_and_the_whole_command() -> None:
    seen: list[tuple[Any, ...]] = []
    check = Rule.check(F(Cmd).price, via=lambda *args: seen.append(args))
    command = Cmd(price=3, name="n")

    run(check.from_command(), command, frozenset({"x"}))
    run(check.from_command().from_command(F(Cmd).name), command)

    assert seen == [(command, frozenset({"x"})), ("n",)]
    assert check.from_command().field == "price"


def test_when_present_skips_the_evaluator() -> None:
    seen: list[object] = []
    spec = Rule.check(F(Cmd).price, via=recorder(seen, True)).when_present(F(Cmd).name)

    assert run(spec) is None
    assert run(spec, Cmd(price=2), frozenset({"name"})) is not None
    assert seen == [2]


def test_require_present_defaults_and_overrides() -> None:
    default = Rule.require_present(F(Cmd).inner.tag)
    custom = Rule.require_present(F(Cmd).name, field="title", message="give a name")

    assert (run(default).field, run(default).message) == ("tag", "tag is required")
    assert (run(custom).field, run(custom).message) == ("title", "give a name")
    assert run(custom, Cmd(), frozenset({"name"})) is None
    assert run(custom.when_present(F(Cmd).price)) is None
    assert run(custom.when_present(F(Cmd).price), Cmd(price=1)) is not None


def test_rule_specs_are_frozen_data() -> None:
    check = Rule.check(F(Cmd).price, via=str, message="m").from_params("p")
    forbid = Rule.forbid(str, message="m").from_command(F(Cmd).name)
    required = Rule.require_present(F(Cmd).name).when_present(F(Cmd).price)

    assert (check.kind, check.evaluator, check.sources, check.param_names) == (
        RuleKind.CHECK,
        str,
        (F(Cmd).price,),
        ("p",),
    )
    assert (check.whole_command, check.field, check.message) == (False, "price", "m")
    assert (forbid.kind, forbid.whole_command, forbid.sources) == (
        RuleKind.FORBID,
        False,
        (F(Cmd).name,),
    )
    assert (forbid.violation_field, forbid.violation_message) == ("name", "m")
    assert isinstance(required, RequirePresentSpec)
    assert (required.kind, required.target, required.field, required.message) == (
        RuleKind.REQUIRE_PRESENT,
        F(Cmd).name,
        "name",
        "name is required",
    )
    assert required.predicate == F(Cmd).price
    assert check.__name__ == "Rule.check(F(Cmd).price)"
    assert required.__name__ == "Rule.require_present(F(Cmd).name)"
    with pytest.raises(dataclasses.FrozenInstanceError):
        check.message = "other"  # type: ignore[misc]


def test_rule_declaration_mistakes() -> None:
    with pytest.raises(ValueError, match="at least one target"):
        Rule.check(via=str)
    with pytest.raises(TypeError):
        Rule.check(F(Cmd).price, via="str")  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        Rule.forbid("cond", message="m")  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        Rule.forbid(str, message=None)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="at least one parameter name"):
        Rule.forbid(str, message="m").from_params()
    with pytest.raises(TypeError):
        Rule.require_present("name")  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        Rule.require_present(F(Cmd).name).when_present(None)  # type: ignore[arg-type]


# -- compiling use cases with specs ----------------------------------------------------


def test_specs_compile_as_steps_with_context() -> None:
    compute = Compute.set(F(Cmd).label).from_command(F(Cmd).name, via=str).from_params("owner")
    rule = Rule.require_present(F(Cmd).name)

    class Uses(UseCase[Any, Any]):
        computes = [compute]
        rules = [rule]

        async def execute(
            self, owner_id: int, cmd: Cmd = Input(), owner: User = LoadById(User, by="owner_id")
        ) -> Any:
            return cmd

    plan = UseCaseCompiler().compile(Uses)

    assert [(s.fn, s.accepts_context) for s in plan.compute_steps] == [(compute, True)]
    assert [(s.fn, s.accepts_context) for s in plan.rule_steps] == [(rule, True)]


def test_from_params_naming_no_parameter_is_a_compilation_error() -> None:
    class Misnamed(UseCase[Any, Any]):
        rules = [Rule.check(F(Cmd).price, via=str).from_params("product_id")]

        async def execute(self, id: int, cmd: Cmd = Input()) -> Any:
            return cmd

    with pytest.raises(CompilationError) as caught:
        UseCaseCompiler().compile(Misnamed)

    assert str(caught.value).endswith(
        ".Misnamed.rules[0] (Rule.check(F(Cmd).price)): from_params('product_id') names"
        " no parameter of execute (parameters: cmd, id)"
    )


def test_a_path_on_another_command_class_is_a_compilation_error() -> None:
    class WrongRoot(UseCase[Any, Any]):
        computes = [Compute.set(F(Cmd).label).from_command(F(Other).name)]

        async def execute(self, cmd: Cmd = Input()) -> Any:
            return cmd

    with pytest.raises(CompilationError, match=r"WrongRoot.computes\[0\] .*F\(Other\).name"):
        UseCaseCompiler().compile(WrongRoot)


class SubCmd(Cmd):
    """At module level: the postponed annotation ``cmd: SubCmd`` must resolve."""

    extra: int = 0


def test_a_path_on_a_base_class_of_the_command_compiles() -> None:
    class OnBase(UseCase[Any, Any]):
        rules = [Rule.require_present(F(Cmd).name).when_present(F(Cmd).price)]

        async def execute(self, cmd: SubCmd = Input()) -> Any:
            return cmd

    assert len(UseCaseCompiler().compile(OnBase).rule_steps) == 1
