"""Serve the shop over HTTP with uvicorn: ``python -m examples.shop.serve`` (``make serve``).

Environment:

``PORT``                 the port (default 8000; ``0`` lets the system pick a free one)
``HOST``                 the interface to bind (default ``127.0.0.1``)
``DATABASE_URL``         a SQLAlchemy async URL (default ``sqlite+aiosqlite:///var/shop.db``;
                         PostgreSQL: ``postgresql+asyncpg://user:password@host:5432/shop``)
``LOOM_EXECUTION_MODE``  ``auto`` (default), ``interpreted`` or ``generated``

The database goes through the SQLAlchemy unit of work (:mod:`examples.shop.orm`);
its tables are created when missing. Once listening the server prints one
line, ``shop: serving on http://HOST:PORT (MODE)``, on standard output.
``/metrics`` serves Prometheus' text format: use case executions, durations,
errors, generated-code fallbacks and HTTP requests by route template.
SIGINT or SIGTERM stops it gracefully.
"""

from __future__ import annotations

import asyncio
import logging
import os
import sys
from collections.abc import Callable
from typing import Any

import uvicorn
from fastapi import FastAPI

from examples.shop.orm import SqlShop
from examples.shop.web import create_app
from loom.prometheus import PrometheusMetricsAdapter

DEFAULT_DATABASE_URL = "sqlite+aiosqlite:///var/shop.db"


async def serve(
    host: str,
    port: int,
    database_url: str,
    *,
    wrap_uow: Callable[[Any], Any] | None = None,
    configure: Callable[[FastAPI, SqlShop], None] | None = None,
) -> None:
    """Serve until SIGINT/SIGTERM. ``wrap_uow`` wraps the unit of work factory
    and ``configure`` adjusts the app (fault injection in the tests)."""
    if database_url.startswith("sqlite") and ":///" in database_url:
        folder = os.path.dirname(database_url.split(":///", 1)[1])
        if folder:
            os.makedirs(folder, exist_ok=True)
    shop = await SqlShop.open(database_url, metrics=PrometheusMetricsAdapter(), wrap_uow=wrap_uow)
    try:
        app = create_app(shop.executor, shop.make)
        if configure is not None:
            configure(app, shop)
        config = uvicorn.Config(
            app,
            host=host,
            port=port,
            log_level="warning",
            access_log=False,
            lifespan="off",
            timeout_graceful_shutdown=10,
            # Longer than clients keep idle connections, so a request never races the
            # server closing its connection (uvicorn's default is 5 s).
            timeout_keep_alive=75,
        )
        server = uvicorn.Server(config)
        sock = config.bind_socket()
        # Listen before saying so: uvicorn starts listening only once serve() has
        # started, and a client told the address earlier would be refused.
        sock.listen(config.backlog)
        bound_host, bound_port = sock.getsockname()[:2]
        mode = shop.executor.mode.value
        generated = sum(1 for p in shop.executor.prepared_classes().values() if p.generated)
        print(
            f"shop: serving on http://{bound_host}:{bound_port} ({mode};"
            f" {generated} use cases generated; {shop.session_manager.url.get_backend_name()})",
            flush=True,
        )
        await server.serve(sockets=[sock])
    finally:
        await shop.close()


def main() -> int:
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    host = os.environ.get("HOST", "127.0.0.1")
    port = int(os.environ.get("PORT", "8000"))
    database_url = os.environ.get("DATABASE_URL") or DEFAULT_DATABASE_URL
    try:
        asyncio.run(serve(host, port, database_url))
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
