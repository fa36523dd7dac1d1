"""The :class:`Command` base: a frozen pydantic model built from a payload."""

from __future__ import annotations

from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict
from typing_extensions import Self


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
        """
        command = cls.model_validate(payload)
        return command, frozenset(command.model_fields_set)
