from typing import Any

from loom.core.use_case import Input, LoadById, UseCase

from ..base import entities
from .entities import Contact, RenameCommand, strip_name


class ContactUseCase(UseCase[Contact, Any]):
    """Shared execute: subclasses differ only in computes, rules and read_only."""

    computes = [strip_name]

    async def execute(
        self,
        contact_id: int,
        cmd: RenameCommand = Input(),
        contact: entities.Contact = LoadById(Contact, by="contact_id"),
    ) -> Any:
        return (contact.id, cmd.name)


class AbstractAudit(UseCase[Contact, None]):
    """No execute of its own: nothing is generated for it."""
