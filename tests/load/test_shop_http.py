"""The shop server under a bounded concurrent load, on SQLite and PostgreSQL, in both modes.

``database_url`` (tests/conftest.py) is a fresh SQLite file or a fresh database on the
session's PostgreSQL server.

CI sends ``LOOM_LOAD_REQUESTS`` requests (default 1,200) from 50 concurrent
clients per run; ``make bench`` sends the full 10,000 (bench/http.py). After
each run the invariants of :func:`tests.examples.http.load.check_invariants` must hold.
"""

from __future__ import annotations

import asyncio
import os

import pytest

from examples.shop.orm import Snapshot, snapshot
from loom.core.repository.sqlalchemy import SessionManager
from tests.examples.http.load import check_invariants, run_load
from tests.examples.http.scrape import scrape
from tests.examples.http.server import shop_server

REQUESTS = int(os.environ.get("LOOM_LOAD_REQUESTS", "1200"))
CLIENTS = 50


def read_snapshot(url: str) -> Snapshot:
    async def read() -> Snapshot:
        manager = SessionManager(url)
        try:
            return await snapshot(manager)
        finally:
            await manager.dispose()

    return asyncio.run(read())


@pytest.mark.slow
@pytest.mark.parametrize("mode", ["interpreted", "generated"])
def test_load(database_url: str, mode: str) -> None:
    with shop_server(database_url, mode=mode) as server:
        result = asyncio.run(run_load(server.url, total=REQUESTS, clients=CLIENTS))
        samples = scrape(server.url)
    print(f"\n{mode} {database_url.split(':')[0]}: {result.summary()}")
    print(f"statuses: {sorted(result.statuses.items())}")
    check_invariants(result, read_snapshot(database_url), samples)
    # the load really raced: some orders sold out, most succeeded
    assert result.statuses[("order", 201)] > 0
    assert result.statuses[("order", 422)] + result.statuses[("order", 409)] > 0
