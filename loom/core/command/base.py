"""The :class:`Command` base: a frozen pydantic model built from a payload."""

from __future__ import annotations

from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict
from typing_extensions import Self

_BASE_MODEL_VALIDATE = BaseModel.model_validate.__func__  # type: ignore[attr-defined]


class Command(BaseModel):
    """A request payload, validated into an immutable value.

    Commands are frozen and reject unknown fields. A payload may name a field
    by its Python name or by its alias. ``from_payload`` also reports which
    fields the payload actually carried, so computes and rules can tell "set
    to the default" from "not sent" (what PATCH-style updates need).
    """

    model_config: ClassVar[ConfigDict] = ConfigDict(
        frozen=True,
        extra="forbid",
        validate_by_name=True,
        validate_by_alias=True,
    )

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
