"""Patch/Internal/Computed, CommandField introspection, and msgspec declarations on commands.

The msgspec cases are differential: the same declaration on a msgspec
``Struct`` (what loom-kernel's commands were) and on a loom ``Command`` must
accept and reject the same payloads, and build the same values.
"""

from __future__ import annotations

import datetime
from typing import Annotated, Any

import msgspec
import pydantic
import pytest

from loom.core.command import (
    Command,
    CommandField,
    Computed,
    FrozenCommandError,
    Internal,
    Patch,
    get_calculated_fields,
    get_command_fields,
    get_input_fields,
    get_internal_fields,
    get_patch_fields,
    is_patch_command,
)
from loom.core.command.field import UNSET


class UpdateUser(Command):
    email: Patch[str]
    name: Patch[str]
    tenant_id: Internal[int] = 0
    slug: Computed[str]


class Plain(Command):
    email: str


def test_marked_fields_default_to_none_and_stay_out_of_fields_set() -> None:
    cmd, fields_set = UpdateUser.from_payload({"email": None})
    assert (cmd.email, cmd.name, cmd.tenant_id, cmd.slug) == (None, None, 0, None)
    assert fields_set == frozenset({"email"})
    cmd, fields_set = UpdateUser.from_payload({"tenantId": 4, "name": "Ada"})
    assert (cmd.tenant_id, cmd.name, fields_set) == (4, "Ada", frozenset({"tenant_id", "name"}))


def test_introspection_lists_marked_fields_in_declaration_order() -> None:
    assert list(get_command_fields(UpdateUser)) == ["email", "name", "tenant_id", "slug"]
    assert list(get_patch_fields(UpdateUser)) == ["email", "name"]
    assert list(get_input_fields(UpdateUser)) == ["email", "name"]
    assert list(get_internal_fields(UpdateUser)) == ["tenant_id"]
    assert list(get_calculated_fields(UpdateUser)) == ["slug"]
    assert is_patch_command(UpdateUser) and not is_patch_command(Plain)
    assert get_command_fields(Plain) == {}
    assert CommandField().default is UNSET is msgspec.UNSET


def test_a_subclass_inherits_and_can_unmark_fields() -> None:
    class Narrower(UpdateUser):
        name: str = "x"

    assert list(get_patch_fields(Narrower)) == ["email"]


def test_assigning_to_a_frozen_command_is_an_attribute_error() -> None:
    cmd = Plain(email="a")
    with pytest.raises(AttributeError, match="Plain is frozen: cannot change 'email'"):
        cmd.email = "b"  # type: ignore[misc]
    with pytest.raises(FrozenCommandError):
        del cmd.email

    class Mutable(Command, frozen=False):
        email: str

    loose = Mutable(email="a")
    loose.email = "b"
    assert loose.email == "b"


def test_an_invalid_payload_is_both_pydantic_and_msgspec_validation_error() -> None:
    with pytest.raises(msgspec.ValidationError) as caught:
        Plain.from_payload({})
    assert isinstance(caught.value, pydantic.ValidationError)
    assert caught.value.errors()[0]["type"] == "missing"


# -- msgspec declarations, differential against msgspec itself -----------------------------


def pair(annotation: Any, default: Any = msgspec.NODEFAULT) -> tuple[type[Any], type[Command]]:
    """A msgspec struct and a loom command with one field ``value`` declared alike."""
    namespace: dict[str, Any] = {"__annotations__": {"value": annotation}}
    if default is not msgspec.NODEFAULT:
        namespace["value"] = default
    struct = type("Struct", (msgspec.Struct,), dict(namespace))
    command = type("Cmd", (Command,), dict(namespace, __module__=__name__))
    return struct, command


def outcome(cls: type[Any], payload: dict[str, Any], command: bool) -> Any:
    try:
        if command:
            return ("ok", cls.from_payload(payload)[0].value)
        return ("ok", msgspec.convert(payload, cls).value)
    except (msgspec.ValidationError, pydantic.ValidationError):
        return "rejected"


AWARE = datetime.datetime(2024, 1, 1, tzinfo=datetime.UTC)
NAIVE = datetime.datetime(2024, 1, 1)

CASES: list[tuple[Any, list[Any]]] = [
    (Annotated[int, msgspec.Meta(ge=1)], [0, 1, 5]),
    (Annotated[int, msgspec.Meta(gt=1, lt=4)], [1, 2, 3, 4]),
    (Annotated[float, msgspec.Meta(le=1.5)], [1.5, 1.6, -3.0]),
    (Annotated[int, msgspec.Meta(multiple_of=3)], [0, 3, 4, 9]),
    (Annotated[str, msgspec.Meta(min_length=2, max_length=3)], ["a", "ab", "abc", "abcd", "é€"]),
    (Annotated[str, msgspec.Meta(pattern="b(?=c)")], ["abc", "ab", "bc", ""]),
    (Annotated[str, msgspec.Meta(pattern="^[a-z]+$")], ["abc", "aBc", ""]),
    (Annotated[list[int], msgspec.Meta(min_length=1)], [[], [1], [1, 2]]),
    (Annotated[dict[str, int], msgspec.Meta(max_length=1)], [{}, {"a": 1}, {"a": 1, "b": 2}]),
    (list[Annotated[int, msgspec.Meta(ge=0)]], [[0, 1], [1, -1], []]),
    (Annotated[int, msgspec.Meta(ge=1)] | None, [None, 0, 1]),
    (Annotated[datetime.datetime, msgspec.Meta(tz=True)], [AWARE, NAIVE]),
    (Annotated[datetime.datetime, msgspec.Meta(tz=False)], [AWARE, NAIVE]),
    (Annotated[int, msgspec.Meta(ge=0, title="T", description="D", examples=[1])], [-1, 0]),
]


@pytest.mark.parametrize(("annotation", "values"), CASES, ids=[repr(c[0]) for c in CASES])
def test_meta_constraints_accept_and_reject_as_msgspec(annotation: Any, values: list[Any]) -> None:
    struct, command = pair(annotation)
    for value in values:
        expected = outcome(struct, {"value": value}, command=False)
        assert outcome(command, {"value": value}, command=True) == expected, value


def test_meta_descriptions_reach_the_json_schema() -> None:
    _, command = pair(Annotated[int, msgspec.Meta(ge=0, title="T", description="D", examples=[1])])
    schema = command.model_json_schema()["properties"]["value"]
    assert (schema["title"], schema["description"], schema["examples"]) == ("T", "D", [1])
    assert schema["minimum"] == 0


@pytest.mark.parametrize(
    "annotation",
    [
        Annotated[int | None, msgspec.Meta(ge=1)],
        Annotated[bool, msgspec.Meta(ge=1)],
        Annotated[int, msgspec.Meta(pattern="a")],
        Annotated[str, msgspec.Meta(tz=True)],
        Annotated[bytes, msgspec.Meta(ge=1)],
    ],
)
def test_a_meta_msgspec_refuses_fails_when_the_class_is_created(annotation: Any) -> None:
    struct, _ = type("S", (msgspec.Struct,), {"__annotations__": {"value": annotation}}), None
    with pytest.raises(TypeError):
        msgspec.convert({"value": 1}, struct)
    with pytest.raises(TypeError, match=r"Cmd\.value: msgspec\.Meta\("):
        type("Cmd", (Command,), {"__annotations__": {"value": annotation}, "__module__": __name__})


def test_msgspec_meta_behind_a_name_local_to_the_class_statement_is_translated() -> None:
    # This module has ``from __future__ import annotations``: the annotation
    # below is the string "Positive", a local of this function, which the
    # command's metaclass reads from the frame that runs the class statement.
    Positive = Annotated[int, msgspec.Meta(ge=1)]

    class Local(Command):
        count: Positive

    assert Local.from_payload({"count": 2})[0].count == 2
    with pytest.raises(pydantic.ValidationError):
        Local.from_payload({"count": 0})


def test_msgspec_field_default_factory_and_name() -> None:
    class Struct(msgspec.Struct, rename="camel"):
        warehouse_id: str = msgspec.field(name="warehouse")
        tags: list[str] = msgspec.field(default_factory=list)
        quantity: int = msgspec.field(default=1)

    class Order(Command, rename="camel"):
        warehouse_id: str = msgspec.field(name="warehouse")
        tags: list[str] = msgspec.field(default_factory=list)
        quantity: int = msgspec.field(default=1)

    payload = {"warehouse": "north"}
    expected = msgspec.convert(payload, Struct)
    cmd, fields_set = Order.from_payload(payload)
    assert (cmd.warehouse_id, cmd.tags, cmd.quantity) == (
        expected.warehouse_id,
        expected.tags,
        expected.quantity,
    )
    assert fields_set == frozenset({"warehouse_id"})
    assert Order.from_payload({"warehouse_id": "w"})[0].warehouse_id == "w"
    assert Order(warehouse_id="a").tags is not Order(warehouse_id="b").tags
    with pytest.raises(msgspec.ValidationError):
        Order.from_payload({"warehouseId": "x"})  # the explicit name wins over rename
