"""Shape 4: everything together.

``RenameUser`` is the together shape: one param, ``Input()``,
``LoadById``, two computes and two rules. ``AssignOwnedTeam`` adds a
``Load``, an ``Exists`` and a compute and a rule taking the context.
"""

from __future__ import annotations

from bench.usecases.domain import AssignTeamCmd, RenameUserCmd, Team, User
from bench.usecases.steps import (
    email_has_at,
    lower_email,
    name_not_blank,
    strip_name,
    team_must_exist,
    team_name_lower,
)
from loom.core.use_case import Exists, Input, Load, LoadById, UseCase


class RenameUser(UseCase[User, str]):
    computes = [strip_name, lower_email]
    rules = [name_not_blank, email_has_at]

    async def execute(
        self,
        user_id: int,
        cmd: RenameUserCmd = Input(),
        user: User = LoadById(User, by="user_id"),
    ) -> str:
        return cmd.name if user.name != cmd.name else user.name


class AssignOwnedTeam(UseCase[User, int]):
    computes = [team_name_lower]
    rules = [team_must_exist]

    async def execute(
        self,
        user_id: int,
        cmd: AssignTeamCmd = Input(),
        user: User = LoadById(User, by="user_id"),
        owner: User = Load(User, from_command="owner_email", against="email"),
        team_exists: bool = Exists(Team, from_command="team_name", against="name"),
    ) -> int:
        return user.id + owner.id
