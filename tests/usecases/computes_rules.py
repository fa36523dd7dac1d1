"""Use cases with computes and rules.

Every compute and rule appends what it saw to ``OBSERVED`` so tests can check
which ones ran, in which order, and with which command or context.
"""

from __future__ import annotations

from typing import Any

from loom.core.use_case import Exists, Input, LoadById, RuleViolation, UseCase
from tests.usecases.domain import OBSERVED, Signup, User


def strip_name(cmd: Signup, fields_set: frozenset[str]) -> Signup:
    OBSERVED.append(("strip_name", cmd))
    return cmd.model_copy(update={"name": cmd.name.strip()})


def lower_email(cmd: Signup, fields_set: frozenset[str]) -> Signup:
    OBSERVED.append(("lower_email", cmd))
    return cmd.model_copy(update={"email": cmd.email.lower()})


def note_context(cmd: Signup, fields_set: frozenset[str], context: dict[str, Any]) -> Signup:
    OBSERVED.append(("note_context", dict(context)))
    return cmd


def name_required(cmd: Signup, fields_set: frozenset[str]) -> None:
    OBSERVED.append(("name_required", cmd))
    if not cmd.name:
        raise RuleViolation("name", "is required")


def adult(cmd: Signup, fields_set: frozenset[str]) -> None:
    OBSERVED.append(("adult", cmd))
    if cmd.age < 18:
        raise RuleViolation("age", "must be 18 or older")


def email_not_taken(cmd: Signup, fields_set: frozenset[str], context: dict[str, Any]) -> None:
    OBSERVED.append(("email_not_taken", dict(context)))
    if context["taken"]:
        raise RuleViolation("email", "is already taken")


def crash(cmd: Signup, fields_set: frozenset[str]) -> None:
    OBSERVED.append(("crash", cmd))
    raise RuntimeError("rule crashed")


def always_violated(cmd: Any, fields_set: frozenset[str]) -> None:
    OBSERVED.append(("always_violated", cmd))
    raise RuleViolation("anything", "always fails")


class Register(UseCase[User, Signup]):
    computes = [strip_name, lower_email]
    rules = [name_required, adult]

    async def execute(self, cmd: Signup = Input()) -> Signup:
        return cmd


class RegisterWithContext(UseCase[User, Signup]):
    computes = [strip_name, note_context]
    rules = [name_required, email_not_taken]

    async def execute(
        self,
        inviter_id: int,
        cmd: Signup = Input(),
        inviter: User = LoadById(User, by="inviter_id"),
        taken: bool = Exists(User, from_command="email", against="email"),
    ) -> Signup:
        return cmd


class RegisterCrashing(UseCase[User, Signup]):
    rules = [name_required, crash, adult]

    async def execute(self, cmd: Signup = Input()) -> Signup:
        return cmd


class StepsWithoutInput(UseCase[User, int]):
    """Declares computes and rules but has no ``Input()``: they never run."""

    computes = [strip_name]
    rules = [always_violated]

    async def execute(self, user_id: int) -> int:
        return user_id
