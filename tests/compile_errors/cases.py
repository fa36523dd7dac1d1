"""Use case classes the compiler must reject with ``CompilationError``."""

from __future__ import annotations

from abc import abstractmethod
from typing import Any

from loom.core.use_case import Exists, Input, Load, LoadById, UseCase
from tests.usecases.domain import AssignTeam, PlainPayload, RenameUser, User


class NoExecuteOverride(UseCase[Any, Any]):
    """Inherits the abstract ``execute`` of ``UseCase``."""


class StillAbstract(UseCase[Any, Any]):
    @abstractmethod
    async def execute(self, user_id: int) -> Any: ...


class TwoInputs(UseCase[Any, Any]):
    async def execute(self, first: RenameUser = Input(), second: RenameUser = Input()) -> Any:
        return first, second


class InputOfPlainDataclass(UseCase[Any, Any]):
    """The ``Input()`` type has no ``from_payload``."""

    async def execute(self, cmd: PlainPayload = Input()) -> Any:
        return cmd


class InputWithoutAnnotation(UseCase[Any, Any]):
    async def execute(self, cmd=Input()) -> Any:  # type: ignore[no-untyped-def]
        return cmd


class LoadByIdUnknownParam(UseCase[Any, Any]):
    async def execute(self, user: User = LoadById(User, by="user_id")) -> Any:
        return user


class LoadByIdDefaultByMissing(UseCase[Any, Any]):
    """``by`` defaults to ``"id"``, and there is no ``id`` parameter."""

    async def execute(self, user_id: int, user: User = LoadById(User)) -> Any:
        return user


class LoadByIdNamesInput(UseCase[Any, Any]):
    """``by`` names the ``Input()`` parameter, which is not a plain parameter."""

    async def execute(
        self, cmd: RenameUser = Input(), user: User = LoadById(User, by="cmd")
    ) -> Any:
        return user


class LoadFromUnknownParam(UseCase[Any, Any]):
    async def execute(
        self, user_id: int, user: User = Load(User, from_param="email", against="email")
    ) -> Any:
        return user


class LoadFromMarkerParam(UseCase[Any, Any]):
    """``from_param`` names another marker parameter, not a plain one."""

    async def execute(
        self,
        user_id: int,
        owner: User = LoadById(User, by="user_id"),
        other: User = Load(User, from_param="owner", against="email"),
    ) -> Any:
        return other


class ExistsFromUnknownParam(UseCase[Any, Any]):
    async def execute(
        self, user_id: int, taken: bool = Exists(User, from_param="email", against="email")
    ) -> Any:
        return taken


class LoadByIdFromCommandWithoutInput(UseCase[Any, Any]):
    async def execute(self, owner: User = LoadById(User, from_command="owner_id")) -> Any:
        return owner


class LoadFromCommandWithoutInput(UseCase[Any, Any]):
    async def execute(
        self,
        team_id: int,
        owner: User = Load(User, from_command="owner_email", against="email"),
    ) -> Any:
        return owner


class ExistsFromCommandWithoutInput(UseCase[Any, Any]):
    async def execute(
        self,
        team_id: int,
        known: bool = Exists(User, from_command="owner_email", against="email"),
    ) -> Any:
        return known


# Used only to show the valid twin of ``LoadFromCommandWithoutInput`` compiles.
class LoadFromCommandWithInput(UseCase[Any, Any]):
    async def execute(
        self,
        cmd: AssignTeam = Input(),
        owner: User = Load(User, from_command="owner_email", against="email"),
    ) -> Any:
        return owner


ABSTRACT = (NoExecuteOverride, StillAbstract)
INPUT_WITHOUT_FROM_PAYLOAD = (InputOfPlainDataclass, InputWithoutAnnotation)
SOURCE_NAMES_NO_PLAIN_PARAM = (
    LoadByIdUnknownParam,
    LoadByIdDefaultByMissing,
    LoadByIdNamesInput,
    LoadFromUnknownParam,
    LoadFromMarkerParam,
    ExistsFromUnknownParam,
)
FROM_COMMAND_WITHOUT_INPUT = (
    LoadFromCommandWithoutInput,
    LoadByIdFromCommandWithoutInput,
    ExistsFromCommandWithoutInput,
)
