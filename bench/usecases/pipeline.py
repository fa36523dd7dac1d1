"""Shape 2: ``Input()`` with two computes and two rules."""

from __future__ import annotations

from bench.usecases.domain import RenameUserCmd, User
from bench.usecases.steps import email_has_at, lower_email, name_not_blank, strip_name
from loom.core.use_case import Input, UseCase


class NormalizeProfile(UseCase[User, RenameUserCmd]):
    computes = [strip_name, lower_email]
    rules = [name_not_blank, email_has_at]

    async def execute(self, cmd: RenameUserCmd = Input()) -> RenameUserCmd:
        return cmd
