"""Serve the shop over HTTP with uvicorn: ``python -m examples.shop.serve`` (``make serve``).

Environment:

``PORT``                 the port on 127.0.0.1 (default 8000; ``0`` picks a free one)
``HOST``                 the interface to bind (default ``127.0.0.1``)
``SHOP_DB``              the SQLite file (default ``var/shop.db``)
``LOOM_EXECUTION_MODE``  ``auto`` (default), ``interpreted`` or ``generated``

Once listening it prints one line, ``shop: serving on http://HOST:PORT (MODE)``,
on standard output. ``/metrics`` serves Prometheus' text format.
"""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path
from typing import Any

import uvicorn

from examples.shop.app import ShopApp, default_executor_factory
from examples.shop.web import create_app
from loom.core.engine import MetricsAdapter, RuntimeExecutor
from loom.core.uow import UnitOfWorkFactory
from loom.prometheus import PrometheusMetricsAdapter


async def serve(host: str, port: int, database: Path) -> None:
    metrics = PrometheusMetricsAdapter()
    base = default_executor_factory()

    def executor_factory(
        *, uow_factory: UnitOfWorkFactory, repo_resolver: Any, metrics: MetricsAdapter
    ) -> RuntimeExecutor:
        return base(uow_factory=uow_factory, repo_resolver=repo_resolver, metrics=prometheus)

    prometheus = metrics
    shop = await ShopApp.open(database, executor_factory=executor_factory, pool_size=8)
    try:
        app = create_app(shop.executor, shop.make)
        config = uvicorn.Config(
            app, host=host, port=port, log_level="warning", access_log=False, lifespan="off"
        )
        server = uvicorn.Server(config)
        await server.serve(sockets=[_bind(config)])
    finally:
        await shop.close()


def _bind(config: uvicorn.Config) -> Any:
    sock = config.bind_socket()
    host, port = sock.getsockname()[:2]
    print(
        f"shop: serving on http://{host}:{port} ({os.environ.get('LOOM_EXECUTION_MODE') or 'auto'})",
        flush=True,
    )
    return sock


def main() -> int:
    host = os.environ.get("HOST", "127.0.0.1")
    port = int(os.environ.get("PORT", "8000"))
    database = Path(os.environ.get("SHOP_DB", "var/shop.db"))
    asyncio.run(serve(host, port, database))
    return 0


if __name__ == "__main__":
    sys.exit(main())
