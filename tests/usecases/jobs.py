"""Jobs: same shape as use cases, usually with a plain ``def execute``."""

from __future__ import annotations

from loom.core.job import Job
from loom.core.use_case import Input, LoadById
from tests.usecases.computes_rules import name_required, strip_name
from tests.usecases.domain import Signup, User


class DoubleJob(Job[int]):
    def execute(self, n: int) -> int:
        return n * 2


class GreetJob(Job[str]):
    computes = [strip_name]
    rules = [name_required]

    def execute(self, cmd: Signup = Input()) -> str:
        return f"hello {cmd.name}"


class NotifyUserJob(Job[str]):
    async def execute(self, user_id: int, user: User = LoadById(User, by="user_id")) -> str:
        return f"notified {user.email}"
