from typing import Any, ClassVar, Optional
from uuid import UUID

from loom.core.job import Job
from loom.core.use_case import UseCase


class Reindex(Job[int]):
    """A sync Job: execute is a plain def."""

    def execute(self, batch: int, tenant: UUID, label: Optional[str], extra: Any) -> int:
        return batch


class Stats(UseCase[Any, dict[str, int]]):
    read_only = True

    async def execute(self, since: "int", until: int | None = None) -> dict[str, int]:
        return {"since": since}


class SyncUseCase(UseCase[Any, str]):
    read_only: ClassVar[bool] = False

    def execute(self, name: str, count: float, flag: bool, raw: object, untyped) -> str:  # type: ignore[no-untyped-def, override]
        return name
