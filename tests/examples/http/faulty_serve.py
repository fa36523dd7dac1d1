"""The shop server with switches for fault injection: ``python -m tests.examples.http.faulty_serve``.

Same environment and start-up line as ``examples.shop.serve``, plus:

``POST /_faults/commit/{on|off}``    every unit of work's commit raises (after the
                                     use case wrote, before anything is committed)
``POST /_faults/readonly/{on|off}``  SQLite only: every connection runs with
                                     ``PRAGMA query_only = ON``, SQLite's read-only
                                     mode (the tests run as root, which file
                                     permissions do not stop); the pool is
                                     emptied so no connection escapes it
"""

from __future__ import annotations

import asyncio
import os
import sqlite3
import sys
from typing import Any

from fastapi import FastAPI
from sqlalchemy import event
from starlette.requests import Request
from starlette.responses import JSONResponse

from examples.shop.orm import SqlShop
from examples.shop.serve import DEFAULT_DATABASE_URL, serve

FAULTS = {"commit": False, "readonly": False}


class CommitFailed(RuntimeError):
    """The injected commit failure."""


class FaultyUnitOfWork:
    def __init__(self, inner: Any) -> None:
        self.inner = inner

    async def begin(self) -> None:
        await self.inner.begin()

    async def commit(self) -> None:
        if FAULTS["commit"]:
            raise CommitFailed("injected: the commit failed")
        await self.inner.commit()

    async def rollback(self) -> None:
        await self.inner.rollback()


class FaultyUnitOfWorkFactory:
    def __init__(self, inner: Any) -> None:
        self.inner = inner

    def create(self) -> FaultyUnitOfWork:
        return FaultyUnitOfWork(self.inner.create())


def configure(app: FastAPI, shop: SqlShop) -> None:
    engine = shop.session_manager.engine
    if shop.session_manager.is_sqlite:
        # One plain connection stays open for the server's life, as a second
        # process would: SQLite keeps the WAL files while a connection is
        # open, so the read-only connections can still read.
        database = shop.session_manager.url.database
        assert database is not None
        app.state.wal_holder = sqlite3.connect(database, check_same_thread=False)

    @event.listens_for(engine.sync_engine, "connect")
    def _query_only(dbapi_connection: Any, _record: Any) -> None:
        if FAULTS["readonly"]:
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA query_only = ON")
            cursor.close()

    async def switch(request: Request) -> JSONResponse:
        name, state = request.path_params["name"], request.path_params["state"]
        if name not in FAULTS or state not in ("on", "off"):
            return JSONResponse({"error": "unknown fault"}, status_code=404)
        FAULTS[name] = state == "on"
        if name == "readonly":
            await engine.dispose()  # new connections only, each configured by _query_only
        return JSONResponse(FAULTS)

    app.add_route("/_faults/{name}/{state}", switch, methods=["POST"])


def main() -> int:
    host = os.environ.get("HOST", "127.0.0.1")
    port = int(os.environ.get("PORT", "8000"))
    url = os.environ.get("DATABASE_URL") or DEFAULT_DATABASE_URL
    asyncio.run(serve(host, port, url, wrap_uow=FaultyUnitOfWorkFactory, configure=configure))
    return 0


if __name__ == "__main__":
    sys.exit(main())
