"""The shop's Celery worker: runs ``SendEmail`` and ``StockAlert`` queued by the shop.

Start it with ``make worker`` (``celery -A examples.shop.worker worker``); the
web side queues jobs there when ``LOOM_JOBS=celery`` and
``LOOM_CELERY_BROKER_URL`` are set (see :mod:`examples.shop.app`).

Environment:

- ``LOOM_CELERY_BROKER_URL``: the broker (default ``redis://127.0.0.1:6379/0``);
- ``LOOM_SHOP_DB``: the shop's SQLite database (default ``var/shop.db``),
  opened on the worker's event loop before its first job;
- ``LOOM_SHOP_OUTBOX``: where the worker's outbox appends each e-mail it
  sends, one JSON line each (default ``var/outbox.jsonl``);
- ``LOOM_EXECUTION_MODE``/``LOOM_GENERATED``: as for the web process; the
  worker runs loomgen's executors when they fit.
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict
from pathlib import Path
from typing import Any

from examples.shop.app import ShopApp
from examples.shop.domain import Email
from examples.shop.jobs import SendEmail, StockAlert
from examples.shop.services import Outbox
from loom.celery import WorkerSetup, create_app
from loom.core.job import InlineJobService
from loom.core.logger import get_logger
from loom.core.uow.abc import Transaction

CONFIG = Path(__file__).with_name("worker.toml")
_log = get_logger("examples.shop.worker")


class FileOutbox(Outbox):
    """Sends by appending the e-mail to a JSON-lines file (and logging it)."""

    def __init__(self, path: Path) -> None:
        super().__init__()
        self.path = path

    async def send(self, email: Email) -> None:
        await super().send(email)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self.path.open("a", encoding="utf-8") as out:
            out.write(json.dumps(asdict(email)) + "\n")
        _log.info(f"[MAIL] to {email.to}: {email.subject}", trace_id=email.trace_id)


class _Shop:
    """The shop as the worker opens it, on its event loop, before the first job."""

    def __init__(self) -> None:
        self._app: ShopApp | None = None

    @property
    def app(self) -> ShopApp:
        if self._app is None:
            raise RuntimeError("the shop is opened by the worker's startup hook")
        return self._app

    async def open(self) -> None:
        self._app = await ShopApp.open(
            os.environ.get("LOOM_SHOP_DB", "var/shop.db"),
            outbox=FileOutbox(Path(os.environ.get("LOOM_SHOP_OUTBOX", "var/outbox.jsonl"))),
            # Jobs that jobs dispatch run on this worker, after their commit.
            job_service=lambda app: InlineJobService(app, app.executor),
        )

    async def close(self) -> None:
        if self._app is not None:
            await self._app.close()
            self._app = None

    def build(self, cls: type[Any]) -> Any:
        return self.app.build(cls)

    def repository(self, entity: type[Any]) -> Any:
        return self.app.repositories[entity]

    def create(self) -> Transaction:
        return self.app.uow_factory.create()


shop = _Shop()


def wire(setup: WorkerSetup) -> None:
    setup.startup.append(shop.open)
    setup.shutdown.append(shop.close)
    setup.factory = shop.build
    setup.repo_resolver = shop.repository
    setup.uow_factory = shop


app = create_app(str(CONFIG), jobs=[SendEmail, StockAlert], modules=[wire])
