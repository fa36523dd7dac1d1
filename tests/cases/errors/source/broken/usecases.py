from typing import Any

from loom.core.command import Command
from loom.core.use_case import Exists, Input, Load, LoadById, UseCase


class Cmd(Command):
    email: str


def takes_one(cmd: Cmd) -> Cmd:
    return cmd


class TwoInputs(UseCase[Any, None]):
    async def execute(self, a: Cmd = Input(), b: Cmd = Input()) -> None:
        return None


class ByNamesNothing(UseCase[Any, None]):
    async def execute(self, user_id: int, user: Any = LoadById(dict, by="usr_id")) -> None:
        return None


class FromCommandWithoutInput(UseCase[Any, None]):
    async def execute(self, user: Any = Load(dict, from_command="email", against="email")) -> None:
        return None


class BothSources(UseCase[Any, None]):
    async def execute(self, email: str, seen: bool = Exists(dict, from_param="email", from_command="email", against="email")) -> None:
        return None


class BadCompute(UseCase[Any, None]):
    computes = [takes_one]

    async def execute(self, cmd: Cmd = Input()) -> None:
        return None
