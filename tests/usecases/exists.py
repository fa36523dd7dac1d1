"""Use cases that check for an entity with ``Exists``."""

from __future__ import annotations

from typing import Any

from loom.core.use_case import Exists, Input, LoadById, OnMissing, UseCase
from tests.usecases.domain import AssignTeam, User


class EmailTaken(UseCase[User, bool]):
    async def execute(
        self, email: str, taken: bool = Exists(User, from_param="email", against="email")
    ) -> bool:
        return taken


class EmailMustExist(UseCase[User, bool]):
    async def execute(
        self,
        email: str,
        known: bool = Exists(User, from_param="email", against="email", on_missing=OnMissing.RAISE),
    ) -> bool:
        return known


class EmailTakenOrNone(UseCase[User, Any]):
    async def execute(
        self,
        email: str,
        taken: Any = Exists(
            User, from_param="email", against="email", on_missing=OnMissing.RETURN_NONE
        ),
    ) -> Any:
        return taken


class OwnerKnown(UseCase[User, bool]):
    async def execute(
        self,
        cmd: AssignTeam = Input(),
        known: bool = Exists(User, from_command="owner_email", against="email"),
    ) -> bool:
        return known


class CheckThenLoad(UseCase[User, dict[str, Any]]):
    """Declares the exists check before the load: loads still run first."""

    async def execute(
        self,
        user_id: int,
        email: str,
        taken: bool = Exists(User, from_param="email", against="email"),
        user: User = LoadById(User, by="user_id"),
    ) -> dict[str, Any]:
        return {"taken": taken, "user": user}
