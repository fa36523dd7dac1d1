"""Commands: validated request payloads."""

from loom.core.command.base import Command

__all__ = ["Command"]
