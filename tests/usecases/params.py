"""Use cases with plain parameters only."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Optional
from uuid import UUID

from loom.core.use_case import UseCase
from tests.usecases.domain import Named

if TYPE_CHECKING:
    from decimal import Decimal


class EchoParams(UseCase[Any, dict[str, Any]]):
    async def execute(self, user_id: int, name: str) -> dict[str, Any]:
        return {"user_id": user_id, "name": name}


class ConvertParams(UseCase[Any, dict[str, Any]]):
    async def execute(self, count: int, ref: UUID, ratio: float) -> dict[str, Any]:
        return {"count": count, "ref": ref, "ratio": ratio}


class UnconvertedParams(UseCase[Any, dict[str, Any]]):
    async def execute(
        self, anything: Any, maybe: int | None, optional: Optional[int]  # noqa: UP007
    ) -> dict[str, Any]:
        return {"anything": anything, "maybe": maybe, "optional": optional}


class NoParams(UseCase[Any, str]):
    async def execute(self) -> str:
        return "done"


class SyncDouble(UseCase[Any, int]):
    def execute(self, value: int) -> int:  # type: ignore[override]
        return value * 2


class Explode(UseCase[Any, None]):
    async def execute(self, message: str) -> None:
        raise LookupError(message)


class GreetNamed(UseCase[Any, str]):
    """A plain parameter typed by a protocol: there is no class to convert to."""

    async def execute(self, who: Named) -> str:
        return who.name


class CountWithTypeCheckingResult(UseCase[Any, Any]):
    """Its return annotation only resolves for type checkers (TYPE_CHECKING import)."""

    async def execute(self, count: int) -> Decimal:
        return count  # type: ignore[return-value]


class StrictParams(UseCase[Any, dict[str, Any]]):
    """One parameter per conversion rule (lossless or a ParameterBindingError)."""

    async def execute(
        self, count: int = 0, name: str = "", ratio: float = 0.0, flag: bool = False
    ) -> dict[str, Any]:
        return {"count": count, "name": name, "ratio": ratio, "flag": flag}


class Paged(UseCase[Any, tuple[Any, ...]]):
    """Defaults on execute: used as they are when the parameter is absent."""

    async def execute(
        self, query: str, limit: int = 5, cursor: int | None = None
    ) -> tuple[Any, ...]:
        return (query, limit, cursor)
