"""``msgspec.field(...)`` and ``msgspec.Meta(...)`` in a command, as pydantic declarations.

loom-kernel's commands were msgspec structs, so their fields were declared
with msgspec's helpers: ``x: int = msgspec.field(default=0, name="X")`` and
``x: Annotated[int, msgspec.Meta(ge=1)]``. pydantic would take the first for
a default *value* (a msgspec ``Field`` object) and ignore the second, so a
constraint would silently vanish. :class:`~loom.core.command.base.Command`
calls :func:`translate_default` and :func:`translate_annotation` on every
field before pydantic sees the class; each returns the pydantic equivalent,
with the same accept/reject behaviour, or raises ``TypeError`` at class
creation for what has none, never dropping anything silently.

msgspec is optional: without it no one can write these helpers, and this
module translates nothing.

The mapping:

- ``msgspec.field(default=d)`` -> ``pydantic.Field(default=d)``;
  ``default_factory=f`` -> ``default_factory=f``; ``name="k"`` ->
  ``alias="k"`` (the payload key; the Python name stays accepted, and an
  explicit name wins over the class's ``rename``, as in msgspec).
- ``msgspec.Meta``: ``gt``, ``ge``, ``lt``, ``le``, ``multiple_of`` (on
  ``int`` and ``float``), ``min_length``, ``max_length`` (on ``str``,
  ``bytes``, ``bytearray``, ``memoryview``, lists, tuples, sets, frozensets
  and dicts), ``pattern`` (on ``str``; unanchored, Python's ``re``, as
  msgspec), ``tz`` (``True``: aware, ``False``: naive; on ``datetime`` and
  ``time``) become the equivalent pydantic constraints; ``title``,
  ``description``, ``examples`` and ``extra_json_schema`` go to the JSON
  schema; ``extra`` is free-form data msgspec does not use, and neither does
  loom. A constraint on a type msgspec refuses it on (a union such as
  ``int | None``, ``Decimal``, ``bool``...) is a ``TypeError`` here too:
  msgspec rejected such a struct when it was first used.

Constraints nested in the type (``list[Annotated[int, msgspec.Meta(ge=0)]]``)
are translated where they stand.
"""

from __future__ import annotations

import datetime
import functools
import operator
import types
import typing
from typing import Annotated, Any

import pydantic
from pydantic.fields import FieldInfo

try:
    import msgspec
except ImportError:  # pragma: no cover - the wheel smoke test runs without msgspec
    msgspec = None  # type: ignore[assignment]

_NUMERIC = (int, float)
_SIZED = (str, bytes, bytearray, memoryview, list, tuple, set, frozenset, dict)
_META_SCHEMA = ("title", "description", "examples")


def available() -> bool:
    """Whether msgspec is installed (and there is anything to translate)."""
    return msgspec is not None


def is_msgspec_field(value: object) -> bool:
    """Whether ``value`` is what ``msgspec.field(...)`` returns."""
    return msgspec is not None and isinstance(value, _FIELD_TYPE)


def translate_default(where: str, value: object) -> object:
    """The pydantic form of a field's default, when it is a ``msgspec.field(...)``."""
    if not is_msgspec_field(value):
        return value
    spec: Any = value
    arguments: dict[str, Any] = {}
    if spec.default is not msgspec.NODEFAULT:
        arguments["default"] = spec.default
    if spec.default_factory is not msgspec.NODEFAULT:
        arguments["default_factory"] = spec.default_factory
    if spec.name is not None:
        if not isinstance(spec.name, str) or not spec.name:
            raise TypeError(f"{where}: msgspec.field(name=...) must be a non-empty string")
        arguments["alias"] = spec.name
    field: FieldInfo = pydantic.Field(**arguments)
    return field


def mentions_msgspec(annotation: object) -> bool:
    """Whether a ``msgspec.Meta`` appears anywhere in ``annotation``."""
    if msgspec is None:
        return False
    if typing.get_origin(annotation) is Annotated:
        base, *metadata = typing.get_args(annotation)
        return any(isinstance(m, msgspec.Meta) for m in metadata) or mentions_msgspec(base)
    return any(mentions_msgspec(arg) for arg in typing.get_args(annotation))


def translate_annotation(where: str, annotation: object) -> object:
    """``annotation`` with every ``msgspec.Meta`` replaced by its pydantic equivalent."""
    if not mentions_msgspec(annotation):
        return annotation
    if typing.get_origin(annotation) is Annotated:
        base, *metadata = typing.get_args(annotation)
        base = translate_annotation(where, base)
        translated: list[Any] = []
        for item in metadata:
            if isinstance(item, msgspec.Meta):
                translated.extend(_meta(where, base, item))
            else:
                translated.append(item)
        if not translated:
            return base
        return Annotated[(base, *translated)]
    arguments = tuple(translate_annotation(where, arg) for arg in typing.get_args(annotation))
    return _rebuild(where, annotation, arguments)


def _rebuild(where: str, annotation: Any, arguments: tuple[Any, ...]) -> object:
    if isinstance(annotation, types.UnionType):
        return functools.reduce(operator.or_, arguments)
    if typing.get_origin(annotation) is typing.Union:
        return typing.Union[arguments]  # noqa: UP007 - rebuilding what was written
    if isinstance(annotation, types.GenericAlias):
        return types.GenericAlias(typing.cast(type, annotation.__origin__), arguments)
    copy_with = getattr(annotation, "copy_with", None)
    if callable(copy_with):
        return copy_with(arguments)
    raise TypeError(
        f"{where}: cannot carry the msgspec.Meta inside {annotation!r} over to pydantic;"
        " declare the constraint with pydantic.Field or annotated_types instead"
    )


def _kind(base: object) -> type | None:
    """The class a constraint applies to: ``list`` for ``list[int]``, ``None`` for a union."""
    origin = typing.get_origin(base)
    if origin is not None:
        return origin if isinstance(origin, type) else None
    return base if isinstance(base, type) else None


def _meta(where: str, base: object, meta: Any) -> list[Any]:
    kind = _kind(base)

    def require(names: tuple[str, ...], allowed: tuple[type, ...], what: str) -> None:
        used = [name for name in names if getattr(meta, name) is not None]
        if used and kind not in allowed:
            raise TypeError(
                f"{where}: msgspec.Meta({', '.join(used)}=...) applies to {what} only,"
                f" not to {base!r} (msgspec rejects it too; for an optional value write"
                f" Annotated[T, msgspec.Meta(...)] | None)"
            )

    require(("gt", "ge", "lt", "le", "multiple_of"), _NUMERIC, "int and float")
    require(("min_length", "max_length"), _SIZED, "str, bytes, and collections")
    require(("pattern",), (str,), "str")
    require(("tz",), (datetime.datetime, datetime.time), "datetime and time")

    constraints: dict[str, Any] = {}
    for name in ("gt", "ge", "lt", "le", "multiple_of", "min_length", "max_length", "pattern"):
        value = getattr(meta, name)
        if value is not None:
            constraints[name] = value
    for name in _META_SCHEMA:
        value = getattr(meta, name)
        if value is not None:
            constraints[name] = list(value) if name == "examples" else value
    if meta.extra_json_schema is not None:
        constraints["json_schema_extra"] = dict(meta.extra_json_schema)
    translated: list[Any] = [pydantic.Field(**constraints)] if constraints else []
    if meta.tz is not None:
        translated.append(_timezone(bool(meta.tz), kind))
    return translated


def _timezone(aware: bool, kind: type | None) -> Any:
    if kind is datetime.datetime:
        return pydantic.AwareDatetime if aware else pydantic.NaiveDatetime
    return pydantic.AfterValidator(_aware_time if aware else _naive_time)


def _aware_time(value: datetime.time) -> datetime.time:
    if value.tzinfo is None:
        raise ValueError("Expected `time` with a timezone component")
    return value


def _naive_time(value: datetime.time) -> datetime.time:
    if value.tzinfo is not None:
        raise ValueError("Expected `time` with no timezone component")
    return value


_FIELD_TYPE: Any = type(msgspec.field()) if msgspec is not None else ()

__all__ = [
    "available",
    "is_msgspec_field",
    "mentions_msgspec",
    "translate_annotation",
    "translate_default",
]
