"""Use cases that build a command from the payload with ``Input()``."""

from __future__ import annotations

from typing import Any

from loom.core.use_case import Input, UseCase
from tests.usecases.domain import (
    OBSERVED,
    FrozenRename,
    RenameUser,
    SetPrice,
    StrictRename,
    UpdateProfile,
)


def observe_fields_set(cmd: UpdateProfile, fields_set: frozenset[str]) -> UpdateProfile:
    OBSERVED.append(("observe_fields_set", fields_set))
    return cmd


class Rename(UseCase[Any, RenameUser]):
    async def execute(self, cmd: RenameUser = Input()) -> RenameUser:
        return cmd


class EditProfile(UseCase[Any, UpdateProfile]):
    computes = [observe_fields_set]

    async def execute(self, cmd: UpdateProfile = Input()) -> UpdateProfile:
        return cmd


class RenameFrozen(UseCase[Any, FrozenRename]):
    async def execute(self, cmd: FrozenRename = Input()) -> FrozenRename:
        return cmd


class RenameStrict(UseCase[Any, StrictRename]):
    async def execute(self, cmd: StrictRename = Input()) -> StrictRename:
        return cmd


def observe_price_fields(cmd: SetPrice, fields_set: frozenset[str]) -> SetPrice:
    OBSERVED.append(("observe_price_fields", fields_set))
    return cmd


class UpdatePrice(UseCase[Any, SetPrice]):
    computes = [observe_price_fields]

    async def execute(self, cmd: SetPrice = Input()) -> SetPrice:
        return cmd
