import functools
from typing import Any

from loom.core.use_case import Input, LoadById, UseCase
from loom.core.command import Command

from external_lib import normalize  # type: ignore[import-not-found]

PROFILE = "full"


class Cmd(Command):
    name: str


def traced(fn: Any) -> Any:
    return fn


class Fine(UseCase[Any, str]):
    """Still generated: the problems below only affect their own classes."""

    async def execute(self, name: str) -> str:
        return name


class ComputedProfile(UseCase[Any, Any]):
    async def execute(self, item_id: int, item: Any = LoadById(dict, by="item_id", profile=PROFILE)) -> Any:
        return item


class DecoratedExecute(UseCase[Any, None]):
    @traced
    async def execute(self, x: int) -> None:
        return None


class UnknownCompute(UseCase[Any, Cmd]):
    computes = [normalize]

    async def execute(self, cmd: Cmd = Input()) -> Cmd:
        return cmd


class LambdaRule(UseCase[Any, Cmd]):
    rules = [lambda cmd, fields_set: None]

    async def execute(self, cmd: Cmd = Input()) -> Cmd:
        return cmd


class DynamicComputes(UseCase[Any, Cmd]):
    computes = [*Fine.computes, functools.partial(print)]

    async def execute(self, cmd: Cmd = Input()) -> Cmd:
        return cmd
