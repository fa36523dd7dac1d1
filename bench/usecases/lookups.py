"""Shape 3: ``LoadById`` + ``Load(from_command)`` + ``Exists``."""

from __future__ import annotations

from bench.usecases.domain import AssignTeamCmd, Team, User
from loom.core.use_case import Exists, Input, Load, LoadById, UseCase


class AssignTeam(UseCase[User, bool]):
    async def execute(
        self,
        user_id: int,
        cmd: AssignTeamCmd = Input(),
        user: User = LoadById(User, by="user_id"),
        owner: User = Load(User, from_command="owner_email", against="email"),
        team_exists: bool = Exists(Team, from_command="team_name", against="name"),
    ) -> bool:
        return team_exists and user.id != owner.id
