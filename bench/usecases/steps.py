"""Computes and rules shared by the benchmark shapes.

Computes only copy the command when it needs changing, as real normalizers
do; the benchmark payloads are already normal, so a call pays for the check.
"""

from __future__ import annotations

from typing import Any

from bench.usecases.domain import AssignTeamCmd, RenameUserCmd, ReportCmd
from loom.core.errors import RuleViolation


def strip_name(cmd: RenameUserCmd, fields_set: frozenset[str]) -> RenameUserCmd:
    name = cmd.name.strip()
    if name == cmd.name:
        return cmd
    return cmd.model_copy(update={"name": name})


def lower_email(cmd: RenameUserCmd, fields_set: frozenset[str]) -> RenameUserCmd:
    email = cmd.email.lower()
    if email == cmd.email:
        return cmd
    return cmd.model_copy(update={"email": email})


def name_not_blank(cmd: RenameUserCmd, fields_set: frozenset[str]) -> None:
    if not cmd.name:
        raise RuleViolation("name", "must not be blank")


def email_has_at(cmd: RenameUserCmd, fields_set: frozenset[str]) -> None:
    if "@" not in cmd.email:
        raise RuleViolation("email", "must contain @")


def team_name_lower(cmd: AssignTeamCmd, fields_set: frozenset[str]) -> AssignTeamCmd:
    team_name = cmd.team_name.lower()
    if team_name == cmd.team_name:
        return cmd
    return cmd.model_copy(update={"team_name": team_name})


def team_must_exist(
    cmd: AssignTeamCmd, fields_set: frozenset[str], context: dict[str, Any]
) -> None:
    if not context["team_exists"]:
        raise RuleViolation("team_name", "no such team")


def title_not_blank(cmd: ReportCmd, fields_set: frozenset[str]) -> None:
    if not cmd.title:
        raise RuleViolation("title", "must not be blank")
