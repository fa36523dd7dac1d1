"""Shape: ``Input()`` with two DSL computes and three DSL rules (compiled inline)."""

from __future__ import annotations

from bench.usecases.domain import RenameUserCmd, User
from loom.core.use_case import Compute, F, Input, Rule, UseCase


def stripped(text: str) -> str:
    return text.strip()


def lowered(text: str) -> str:
    return text.lower()


def blank(text: str) -> bool:
    return not text


def lacks_at(text: str) -> bool:
    return "@" not in text


STRIP_NAME = Compute.set(F(RenameUserCmd).name).from_command(F(RenameUserCmd).name, via=stripped)
LOWER_EMAIL = Compute.set(F(RenameUserCmd).email).from_command(F(RenameUserCmd).email, via=lowered)
NAME_NOT_BLANK = Rule.check(F(RenameUserCmd).name, via=blank, message="must not be blank")
EMAIL_HAS_AT = Rule.check(F(RenameUserCmd).email, via=lacks_at, message="needs an @")
NAME_PRESENT = Rule.require_present(F(RenameUserCmd).name)


class DeclaredProfile(UseCase[User, RenameUserCmd]):
    computes = [STRIP_NAME, LOWER_EMAIL]
    rules = [NAME_NOT_BLANK, EMAIL_HAS_AT, NAME_PRESENT]

    async def execute(self, cmd: RenameUserCmd = Input()) -> RenameUserCmd:
        return cmd
