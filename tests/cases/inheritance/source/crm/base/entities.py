from dataclasses import dataclass

from loom.core.command import Command


@dataclass(frozen=True)
class Contact:
    id: int
    email: str


class RenameCommand(Command):
    name: str


def strip_name(cmd: RenameCommand, fields_set: frozenset[str]) -> RenameCommand:
    return cmd.model_copy(update={"name": cmd.name.strip()})
