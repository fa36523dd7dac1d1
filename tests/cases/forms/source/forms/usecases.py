"""What people write: aliases, constants, lambdas, nested classes, Annotated."""

from __future__ import annotations

import typing
from typing import Annotated, Any

import loom.core.use_case as uc
from loom.core.command import Command
from loom.core.use_case import Input as Payload
from loom.core.use_case import LoadById as ById
from loom.core.use_case import OnMissing, UseCase

from forms import rules
from forms.rules import PROFILE_FULL

KEY = "account_id"
POLICY = OnMissing.RETURN_NONE


class Account:
    pass


class Rename(Command):
    name: str


class Invite(UseCase[Any, Any]):
    Entity = Account
    Cmd = Rename
    computes = [rules.trim, lambda cmd, fields_set: cmd]
    rules = [rules.quota_ok]

    async def execute(
        self,
        account_id: int,
        note: Annotated[str, "free text"],
        title: typing.Text,
        cmd: Cmd = Payload(),
        account: Any = ById(Entity, by=KEY, profile=PROFILE_FULL, on_missing=POLICY),
        seen: bool = uc.Exists(Account, from_param="account_id", against="id"),
    ) -> Any:
        return account


class Admin:
    class Purge(UseCase[Any, int]):
        read_only = True

        def execute(self, __limit: int, batch: int = 100) -> int:
            return min(__limit, batch)
