"""The :class:`Command` base: a frozen pydantic model built from a payload."""

from __future__ import annotations

import inspect
import sys
import typing
from types import FrameType
from typing import Annotated, Any, ClassVar

import pydantic_core
from pydantic import BaseModel, ConfigDict
from pydantic.fields import FieldInfo
from typing_extensions import Self

from loom.core.command import msgspec_compat
from loom.core.command.field import CommandField
from loom.core.command.rename import alias_generator, camel

_BASE_MODEL_VALIDATE = BaseModel.model_validate.__func__  # type: ignore[attr-defined]

# msgspec ``Struct`` class keywords that have no pydantic counterpart here.
_UNSUPPORTED_STRUCT_KEYWORDS = frozenset(
    {
        "array_like",
        "cache_hash",
        "dict",
        "eq",
        "gc",
        "order",
        "repr_omit_defaults",
        "tag",
        "tag_field",
        "weakref",
    }
)


if msgspec_compat.available():
    import msgspec

    class ValidationError(pydantic_core.ValidationError, msgspec.ValidationError):
        """A payload that does not fit its command, from ``from_payload``.

        pydantic's ``ValidationError`` (``errors()``, ``error_count()``...);
        with msgspec installed, also a ``msgspec.ValidationError``, so code
        written for loom-kernel's commands catches it too. Named like both, for
        code and logs that go by the class name.
        """

else:  # pragma: no cover - the wheel smoke test runs without msgspec

    class ValidationError(pydantic_core.ValidationError):  # type: ignore[no-redef]
        """A payload that does not fit its command, from ``from_payload`` (pydantic's error)."""


CommandValidationError = ValidationError
"""The name :mod:`loom.core.command` exports it under."""

# pydantic does not export its model metaclass by name; the metaclass of
# ``BaseModel`` is the public way to reach it. Typed ``Any`` because type
# checkers cannot follow ``type(...)`` into a base class.
_PydanticModelMeta: Any = type(BaseModel)


class _CommandMeta(_PydanticModelMeta):  # type: ignore[misc]
    """Reads the msgspec class keywords loom-kernel commands were declared with.

    ``rename`` becomes pydantic's ``alias_generator``, ``forbid_unknown_fields``
    its ``extra`` setting; ``frozen`` is pydantic's own. ``kw_only=True`` is
    what pydantic models already are, and ``omit_defaults`` only changed how
    msgspec *encodes* a struct, so both are accepted and change nothing. The
    translation happens before pydantic reads the class configuration.
    """

    def __new__(
        mcs,
        cls_name: str,
        bases: tuple[type[Any], ...],
        namespace: dict[str, Any],
        *args: Any,
        **kwargs: Any,
    ) -> type:
        if "rename" in kwargs:
            kwargs["alias_generator"] = alias_generator(kwargs.pop("rename"), cls_name)
        if "forbid_unknown_fields" in kwargs:
            kwargs["extra"] = "forbid" if kwargs.pop("forbid_unknown_fields") else "ignore"
        if not kwargs.pop("kw_only", True):
            raise TypeError(
                f"{cls_name}: kw_only=False is not supported: commands are pydantic models,"
                " built from keyword arguments only"
            )
        kwargs.pop("omit_defaults", None)
        unsupported = sorted(_UNSUPPORTED_STRUCT_KEYWORDS.intersection(kwargs))
        if unsupported:
            raise TypeError(
                f"{cls_name}: the msgspec class keyword(s) {', '.join(unsupported)} have no"
                " equivalent on a pydantic command (supported: frozen, rename, kw_only,"
                " omit_defaults, forbid_unknown_fields, and pydantic's configuration keys)"
            )
        here = inspect.currentframe()  # its caller runs the class statement
        try:
            _prepare_fields(cls_name, namespace, here.f_back if here is not None else None)
        finally:
            del here  # no frame -> local -> frame cycle (as the inspect docs advise)
        cls: type[BaseModel] = super().__new__(mcs, cls_name, bases, namespace, *args, **kwargs)
        cls.__command_fields__ = _command_fields(cls_name, cls)  # type: ignore[attr-defined]
        return cls


# Type checkers see a ``Command`` subclass as a plain pydantic model: they cannot
# tell that this metaclass derives from pydantic's, and would call it a conflict.
_CommandMetaclass: Any = _CommandMeta


def _prepare_fields(cls_name: str, namespace: dict[str, Any], frame: FrameType | None) -> None:
    """Rewrite what pydantic would misread, before it reads the class body.

    A ``msgspec.field(...)`` default and ``msgspec.Meta`` constraints become
    their pydantic forms (:mod:`loom.core.command.msgspec_compat`), and a
    field marked ``Patch``/``Internal``/``Computed`` without a default
    defaults to ``None``. String annotations (``from __future__ import
    annotations``) are evaluated as pydantic would, in the module and the
    scope of the class statement; one that cannot be evaluated yet is left
    to pydantic, and checked after it (:func:`_command_fields`).
    """
    given = namespace.get("__annotations__")
    if not isinstance(given, dict) or not given:
        return
    annotations = namespace["__annotations__"] = dict(given)  # never change the caller's dict
    module = sys.modules.get(str(namespace.get("__module__", "")))
    globalns = dict(vars(module)) if module is not None else {}
    localns = dict(frame.f_locals) if frame is not None else {}
    localns.update(namespace)
    for name, annotation in list(annotations.items()):
        where = f"{cls_name}.{name}"
        if name in namespace:
            namespace[name] = msgspec_compat.translate_default(where, namespace[name])
        resolved = annotation
        if isinstance(annotation, str):
            try:
                resolved = eval(annotation, globalns, localns)  # noqa: S307 - as pydantic does
            except Exception:
                continue
        translated = msgspec_compat.translate_annotation(where, resolved)
        if translated is not resolved:
            annotations[name] = translated
        marker = _marker(translated)
        if marker is None or not marker.marked:
            continue
        if name not in namespace:
            namespace[name] = None
        elif isinstance(namespace[name], FieldInfo) and namespace[name].is_required():
            namespace[name] = FieldInfo.merge_field_infos(namespace[name], default=None)


def _marker(annotation: object) -> CommandField | None:
    if typing.get_origin(annotation) is not Annotated:
        return None
    return next((m for m in annotation.__metadata__ if isinstance(m, CommandField)), None)  # type: ignore[attr-defined]


def _command_fields(cls_name: str, cls: type[BaseModel]) -> dict[str, CommandField]:
    """The fields declared with a :class:`CommandField`; refuses leftover msgspec declarations."""
    found: dict[str, CommandField] = {}
    for name, info in cls.__pydantic_fields__.items():
        if (
            msgspec_compat.is_msgspec_field(info.default)
            or any(
                msgspec_compat.mentions_msgspec(item) for item in (info.annotation, *info.metadata)
            )
            or any(type(item).__module__ == "msgspec" for item in info.metadata)
        ):
            raise TypeError(
                f"{cls_name}.{name}: a msgspec declaration in an annotation that could not be"
                " evaluated when the class was created (a forward reference?); write the type"
                " so that it can be, or use pydantic.Field"
            )
        marker = next((m for m in info.metadata if isinstance(m, CommandField)), None)
        if marker is not None:
            found[name] = marker
    return found


class Command(BaseModel, metaclass=_CommandMetaclass):  # type: ignore[metaclass]
    """A request payload, validated into an immutable value.

    Commands are frozen. A payload may name a field by its Python name or by
    its alias; by default every field's alias is its camelCase spelling
    (``price_cents`` is also accepted as ``priceCents``), as loom-kernel's
    ``rename="camel"`` commands did. Unknown payload keys are ignored, as
    loom-kernel did, unless the class says ``forbid_unknown_fields=True``.

    Subclasses may pass the msgspec class keywords loom-kernel users wrote
    (``frozen``, ``rename``, ``kw_only``, ``omit_defaults``,
    ``forbid_unknown_fields``) as well as pydantic's configuration keys.

    ``from_payload`` also reports which fields the payload actually carried,
    so computes and rules can tell "set to the default" from "not sent"
    (what PATCH-style updates need).
    """

    model_config: ClassVar[ConfigDict] = ConfigDict(
        frozen=True,
        extra="ignore",
        alias_generator=camel,
        validate_by_name=True,
        validate_by_alias=True,
        # Patterns (msgspec.Meta(pattern=...) included) match as msgspec's did: re.search.
        regex_engine="python-re",
    )
    __command_fields__: ClassVar[dict[str, CommandField]] = {}

    def __setattr__(self, name: str, value: Any) -> None:
        if self.model_config.get("frozen") and name not in self.__private_attributes__:
            raise FrozenCommandError(type(self).__qualname__, name)
        super().__setattr__(name, value)

    def __delattr__(self, name: str) -> None:
        if self.model_config.get("frozen") and name not in self.__private_attributes__:
            raise FrozenCommandError(type(self).__qualname__, name)
        super().__delattr__(name)

    def __init_subclass__(cls, **kwargs: Any) -> None:
        # The msgspec keywords are consumed by the metaclass; this signature
        # lets type checkers accept them in class statements.
        super().__init_subclass__(**kwargs)

    @classmethod
    def from_payload(cls, payload: dict[str, Any]) -> tuple[Self, frozenset[str]]:
        """Validate ``payload`` into a command.

        Returns the command and the frozenset of field names (Python names,
        never aliases) that the payload carried. Raises pydantic's
        ``ValidationError`` when the payload does not fit.

        Validation is exactly ``model_validate(payload)``. Unless the class
        overrides ``model_validate`` in its body (or inherits such an
        override), the model's validator is called directly, which spares
        ``model_validate``'s keyword handling on every request.
        """
        try:
            command: Self = cls.__pydantic_validator__.validate_python(payload)
        except pydantic_core.ValidationError as error:
            raise _validation_error(error) from None
        return command, frozenset(command.__pydantic_fields_set__)

    @classmethod
    def __pydantic_init_subclass__(cls, **kwargs: Any) -> None:
        super().__pydantic_init_subclass__(**kwargs)
        customized = getattr(cls.model_validate, "__func__", None) is not _BASE_MODEL_VALIDATE
        inherited = getattr(cls.from_payload, "__func__", None) is _COMMAND_FROM_PAYLOAD
        if customized and inherited:
            # A class that customizes model_validate (and keeps this from_payload)
            # gets its model_validate called. Seen when the class is created: a
            # model_validate attached later, by a class decorator say, is not.
            cls.from_payload = classmethod(_from_payload_via_model_validate)  # type: ignore[method-assign, assignment]


_COMMAND_FROM_PAYLOAD = Command.from_payload.__func__  # type: ignore[attr-defined]


def _from_payload_via_model_validate(
    cls: type[Command], payload: dict[str, Any]
) -> tuple[Command, frozenset[str]]:
    try:
        command = cls.model_validate(payload)
    except pydantic_core.ValidationError as error:
        raise _validation_error(error) from None
    return command, frozenset(command.__pydantic_fields_set__)


def _validation_error(error: pydantic_core.ValidationError) -> pydantic_core.ValidationError:
    """``error`` as a :class:`CommandValidationError` (the same errors, title and inputs)."""
    try:
        return CommandValidationError.from_exception_data(
            error.title, error.errors()  # type: ignore[arg-type]
        )
    except Exception:  # an error type pydantic cannot rebuild (a custom one): keep it
        return error


class FrozenCommandError(AttributeError):
    """An assignment to (or deletion of) a field of a frozen command.

    An ``AttributeError``, as assigning to a frozen msgspec struct raised;
    a new value is made with ``cmd.model_copy(update={...})``.
    """

    def __init__(self, command: str, name: str) -> None:
        super().__init__(
            f"{command} is frozen: cannot change {name!r};"
            " make a changed copy with model_copy(update={...})"
        )
        self.command = command
        self.name = name
