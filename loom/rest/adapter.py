"""Validate raw payloads into commands with a pydantic schema of their input fields."""

from __future__ import annotations

import copy
import importlib
from typing import Any, TypeVar, cast

import pydantic

from loom.core.command import Command

CommandT = TypeVar("CommandT", bound=Command)

# Computed, internal and patch fields are told apart by the command
# introspection module where the runtime has one; without it every field of
# a command is an input field.
_introspection: Any
try:
    _introspection = importlib.import_module("loom.core.command.introspection")
except ImportError:
    _introspection = None


class PydanticAdapter:
    """Builds, once per command class, a pydantic model of the fields a client
    may send (computed and internal fields left out, patch fields optional
    with ``None``), and validates raw payloads with it.

    ``parse`` returns the command and the set of fields the payload set,
    exactly as ``Command.from_payload`` does. Commands are pydantic models
    already: the schema keeps their aliases, constraints and string
    handling, so a payload accepted by the schema builds the command.
    """

    def __init__(self) -> None:
        self._cache: dict[type, type[pydantic.BaseModel]] = {}

    def register(self, *command_classes: type) -> None:
        """Build the schemas of ``command_classes`` now (at startup)."""
        for command_class in command_classes:
            self.compile_schema(command_class)

    def compile_schema(self, command_cls: type) -> type[pydantic.BaseModel]:
        """The input schema of ``command_cls`` (cached)."""
        cached = self._cache.get(command_cls)
        if cached is not None:
            return cached
        if not (isinstance(command_cls, type) and issubclass(command_cls, pydantic.BaseModel)):
            raise TypeError(f"{command_cls!r} is not a Command class")
        excluded, patch = _field_kinds(command_cls)
        definitions: dict[str, Any] = {}
        for name, info in command_cls.model_fields.items():
            if name in excluded:
                continue
            # A copy of the command's own field, so that the patch default
            # below stays out of the command (pydantic copies again on use).
            field = copy.copy(info)
            if name in patch:
                field.default = None
                field.default_factory = None
            definitions[name] = (info.annotation, field)
        config = pydantic.ConfigDict(**command_cls.model_config)
        config.pop("frozen", None)
        schema = pydantic.create_model(
            f"{command_cls.__name__}Schema", __config__=config, **definitions
        )
        self._cache[command_cls] = schema
        return cast(type[pydantic.BaseModel], schema)

    def parse(
        self, command_cls: type[CommandT], raw: dict[str, Any]
    ) -> tuple[CommandT, frozenset[str]]:
        """Validate ``raw`` and build the command; pydantic's ``ValidationError``
        when it does not fit."""
        validated = self.compile_schema(command_cls).model_validate(raw)
        return command_cls.from_payload(
            validated.model_dump(mode="python", exclude_unset=True, by_alias=False)
        )


def _field_kinds(command_cls: type) -> tuple[set[str], set[str]]:
    if _introspection is None:
        return set(), set()
    excluded = set(_introspection.get_calculated_fields(command_cls)) | set(
        _introspection.get_internal_fields(command_cls)
    )
    return excluded, set(_introspection.get_patch_fields(command_cls))
