"""Shape 1: plain parameters only."""

from __future__ import annotations

from typing import Any

from loom.core.use_case import UseCase


class ShowPage(UseCase[Any, int]):
    read_only = True

    async def execute(self, user_id: int, page: int, sort: str) -> int:
        return user_id + page
