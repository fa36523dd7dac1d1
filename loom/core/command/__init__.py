"""Commands: validated request payloads, and the markers of their fields."""

from loom.core.command.base import Command, CommandValidationError, FrozenCommandError
from loom.core.command.field import CommandField, Computed, Internal, Patch
from loom.core.command.introspection import (
    get_calculated_fields,
    get_command_fields,
    get_input_fields,
    get_internal_fields,
    get_patch_fields,
    is_patch_command,
)

__all__ = [
    "Command",
    "CommandField",
    "CommandValidationError",
    "Computed",
    "FrozenCommandError",
    "Internal",
    "Patch",
    "get_calculated_fields",
    "get_command_fields",
    "get_input_fields",
    "get_internal_fields",
    "get_patch_fields",
    "is_patch_command",
]
