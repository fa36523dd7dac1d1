"""The :class:`Command` base: a frozen pydantic model built from a payload."""

from __future__ import annotations

from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict
from pydantic._internal._model_construction import ModelMetaclass
from typing_extensions import Self

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


class _CommandMeta(ModelMetaclass):
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
        return super().__new__(mcs, cls_name, bases, namespace, *args, **kwargs)


class Command(BaseModel, metaclass=_CommandMeta):
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
    )

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
        command: Self = cls.__pydantic_validator__.validate_python(payload)
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
    command = cls.model_validate(payload)
    return command, frozenset(command.__pydantic_fields_set__)
