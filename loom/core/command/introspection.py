"""Which fields of a command class carry which :class:`CommandField` marker.

Each function takes a command class and returns ``{field name:
CommandField}`` in declaration order (inherited fields first), for the
fields declared with a marker (``Patch[T]``, ``Internal[T]``,
``Computed[T]`` or ``Annotated[T, CommandField(...)]``).
"""

from __future__ import annotations

from typing import Any

from loom.core.command.field import CommandField


def get_command_fields(cls: type[Any]) -> dict[str, CommandField]:
    """Every field declared with a :class:`CommandField`."""
    return dict(getattr(cls, "__command_fields__", {}))


def get_input_fields(cls: type[Any]) -> dict[str, CommandField]:
    """The marked fields a client supplies: neither ``internal`` nor ``calculated``."""
    return {
        name: marker
        for name, marker in get_command_fields(cls).items()
        if not (marker.internal or marker.calculated)
    }


def get_calculated_fields(cls: type[Any]) -> dict[str, CommandField]:
    """The ``Computed`` fields (``calculated=True``)."""
    return {name: marker for name, marker in get_command_fields(cls).items() if marker.calculated}


def get_internal_fields(cls: type[Any]) -> dict[str, CommandField]:
    """The ``Internal`` fields (``internal=True``)."""
    return {name: marker for name, marker in get_command_fields(cls).items() if marker.internal}


def get_patch_fields(cls: type[Any]) -> dict[str, CommandField]:
    """The ``Patch`` fields (``patch=True``)."""
    return {name: marker for name, marker in get_command_fields(cls).items() if marker.patch}


def is_patch_command(cls: type[Any]) -> bool:
    """Whether the class has at least one ``Patch`` field."""
    return bool(get_patch_fields(cls))


__all__ = [
    "get_calculated_fields",
    "get_command_fields",
    "get_input_fields",
    "get_internal_fields",
    "get_patch_fields",
    "is_patch_command",
]
