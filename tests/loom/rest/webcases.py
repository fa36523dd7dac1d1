"""The REST interface over tests/usecases/web.py and a unit of work that records outcomes."""

from __future__ import annotations

from tests.usecases.web import Boom, EchoParams, Item, ItemRepo, NoInput, Rename
from loom.rest import RestInterface, RestRoute

__all__ = [
    "Boom",
    "EchoParams",
    "Item",
    "ItemApi",
    "ItemRepo",
    "NoInput",
    "RecordingUoWFactory",
    "Rename",
]


class ItemApi(RestInterface[Item]):
    prefix = "/items"
    routes = (
        RestRoute(use_case=EchoParams, method="GET", path="/{item_id}/echo/{label}"),
        RestRoute(use_case=Rename, method="PATCH", path="/{item_id}"),
        RestRoute(use_case=NoInput, method="POST", path="/{item_id}/touch"),
        RestRoute(use_case=Boom, method="DELETE", path="/{item_id}"),
    )


class RecordingUoW:
    def __init__(self) -> None:
        self.outcome = "new"

    async def begin(self) -> None:
        self.outcome = "active"

    async def commit(self) -> None:
        self.outcome = "committed"

    async def rollback(self) -> None:
        self.outcome = "rolled_back"


class RecordingUoWFactory:
    def __init__(self) -> None:
        self.created: list[RecordingUoW] = []

    def create(self) -> RecordingUoW:
        uow = RecordingUoW()
        self.created.append(uow)
        return uow
