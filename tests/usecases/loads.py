"""Use cases that load entities with ``LoadById`` and ``Load``."""

from __future__ import annotations

from typing import Any

from loom.core.use_case import Input, Load, LoadById, OnMissing, UseCase
from tests.usecases.domain import AssignTeam, JoinTeam, Team, User


class GetUser(UseCase[User, User]):
    async def execute(self, user_id: int, user: User = LoadById(User, by="user_id")) -> User:
        return user


class GetUserById(UseCase[User, User]):
    """``LoadById`` with its default ``by="id"``."""

    async def execute(self, id: int, user: User = LoadById(User)) -> User:  # noqa: A002
        return user


class GetUserDetailed(UseCase[User, User]):
    async def execute(
        self, user_id: int, user: User = LoadById(User, by="user_id", profile="detailed")
    ) -> User:
        return user


class GetUserOrNone(UseCase[User, Any]):
    async def execute(
        self,
        user_id: int,
        user: User | None = LoadById(User, by="user_id", on_missing=OnMissing.RETURN_NONE),
    ) -> Any:
        return user


class GetUserOrFalse(UseCase[User, Any]):
    async def execute(
        self,
        user_id: int,
        user: Any = LoadById(User, by="user_id", on_missing=OnMissing.RETURN_FALSE),
    ) -> Any:
        return user


class FindUserByEmail(UseCase[User, User]):
    async def execute(
        self, email: str, user: User = Load(User, from_param="email", against="email")
    ) -> User:
        return user


class FindUserByEmailOrNone(UseCase[User, Any]):
    async def execute(
        self,
        email: str,
        user: User | None = Load(
            User, from_param="email", against="email", on_missing=OnMissing.RETURN_NONE
        ),
    ) -> Any:
        return user


class FindUserByEmailOrFalse(UseCase[User, Any]):
    async def execute(
        self,
        email: str,
        user: Any = Load(
            User, from_param="email", against="email", on_missing=OnMissing.RETURN_FALSE
        ),
    ) -> Any:
        return user


class AssignOwner(UseCase[Team, dict[str, Any]]):
    """Loads from the command (by field, with a profile) then by id, in that order."""

    async def execute(
        self,
        team_id: int,
        cmd: AssignTeam = Input(),
        owner: User = Load(User, from_command="owner_email", against="email", profile="summary"),
        team: Team = LoadById(Team, by="team_id"),
    ) -> dict[str, Any]:
        return {"cmd": cmd, "owner": owner, "team": team}


class JoinTeamById(UseCase[Team, dict[str, Any]]):
    """``LoadById`` reading the id from a command field, with a profile."""

    async def execute(
        self,
        cmd: JoinTeam = Input(),
        team: Team = LoadById(Team, from_command="team_id", profile="members"),
    ) -> dict[str, Any]:
        return {"role": cmd.role, "team": team}


class JoinTeamByIdOrNone(UseCase[Team, Any]):
    """``LoadById`` from the command, a miss giving ``None``."""

    async def execute(
        self,
        cmd: JoinTeam = Input(),
        team: Team | None = LoadById(
            Team, from_command="team_id", on_missing=OnMissing.RETURN_NONE
        ),
    ) -> Any:
        return team
