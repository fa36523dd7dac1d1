"""A use case that goes through every pipeline step, for the cost-of-observability tests."""

from __future__ import annotations

from typing import Any

from loom.core.errors import RuleViolation
from loom.core.use_case import Exists, Input, Load, LoadById, UseCase
from tests.usecases.domain import AssignTeam, Team, User


def lower_team_name(cmd: AssignTeam, fields_set: frozenset[str]) -> AssignTeam:
    lowered = cmd.team_name.lower()
    return cmd if lowered == cmd.team_name else cmd.model_copy(update={"team_name": lowered})


def tag_context(cmd: AssignTeam, fields_set: frozenset[str], context: dict[str, Any]) -> AssignTeam:
    return cmd


def team_is_known(cmd: AssignTeam, fields_set: frozenset[str], context: dict[str, Any]) -> None:
    if not context["known"]:
        raise RuleViolation("team_name", "no such team")


def team_name_given(cmd: AssignTeam, fields_set: frozenset[str]) -> None:
    if not cmd.team_name:
        raise RuleViolation("team_name", "is required")


class EveryStep(UseCase[User, int]):
    """One param, ``Input()``, ``LoadById``, ``Load``, ``Exists``, two computes, two rules."""

    computes = [lower_team_name, tag_context]
    rules = [team_is_known, team_name_given]

    async def execute(
        self,
        user_id: int,
        cmd: AssignTeam = Input(),
        user: User = LoadById(User, by="user_id"),
        owner: User = Load(User, from_command="owner_email", against="email"),
        known: bool = Exists(Team, from_command="team_name", against="name"),
    ) -> int:
        return user.id + owner.id + int(known)


class ParamsOnly(UseCase[Any, int]):
    read_only = True

    async def execute(self, user_id: int, page: int) -> int:
        return user_id + page
