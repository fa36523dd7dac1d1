from typing import Any

from loom.core.use_case import RuleViolation, UseCase, LoadById

import crm.base.entities as ent
from crm.base.usecases import AbstractAudit, ContactUseCase
from crm.base.entities import Contact as Person, RenameCommand


def no_digits(cmd: RenameCommand, fields_set: frozenset[str]) -> None:
    if any(ch.isdigit() for ch in cmd.name):
        raise RuleViolation("name", "no digits")


class RenameContact(ContactUseCase):
    """Inherits execute and computes; adds a rule."""

    rules = [no_digits]


class PreviewRename(RenameContact):
    read_only = True


class Audit(AbstractAudit):
    Entity = ent.Contact

    async def execute(self, person_id: int, person: Person = LoadById(Entity, by="person_id")) -> None:
        return None
