"""Database fixtures shared by the tests that need a real database.

``database_url`` is parametrized over the two backends: a fresh SQLite file
(``sqlite+aiosqlite``) and a fresh database on the session's PostgreSQL
server (``postgresql+asyncpg``, see :mod:`tests.postgres`). ``tests/conftest.py``
imports both fixtures, so any test module can ask for them by name.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from tests.postgres import PostgresServer, postgres_server

BACKENDS = ("sqlite", "postgresql")

__all__ = ["BACKENDS", "database_url", "postgres_server", "sqlite_url"]


def sqlite_url(path: Path) -> str:
    return f"sqlite+aiosqlite:///{path}"


@pytest.fixture(params=BACKENDS)
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """An empty database: a SQLite file, or a new database on the PostgreSQL server."""
    if request.param == "sqlite":
        return sqlite_url(tmp_path / "test.db")
    server: PostgresServer = request.getfixturevalue("postgres_server")
    return asyncio.run(server.create_database_async())
