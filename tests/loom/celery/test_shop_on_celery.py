"""The example shop with LOOM_JOBS=celery: its e-mail job runs on the shop's worker process.

Both modes: the web side (this process) and the worker run the same
execution mode. The worker is ``examples.shop.worker``, as ``make worker``
starts it; its outbox appends each e-mail to a JSON-lines file.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from examples.shop.app import ShopApp
from examples.shop.usecases import PlaceOrder
from loom.celery.service import CeleryJobService
from loom.core.engine import EventKind
from loom.core.job import InlineJobService
from loom.core.tracing import reset_trace_id, set_trace_id
from tests.loom.celery.conftest import StartWorker
from tests.loom.celery.servers import wait_until


def sent(outbox: Path) -> list[dict[str, str]]:
    if not outbox.exists():
        return []
    return [json.loads(line) for line in outbox.read_text().splitlines()]


async def test_place_order_queues_the_confirmation_on_celery_when_configured(
    execution_mode: str,
    request: pytest.FixtureRequest,
    redis_url: str,
    start_worker: StartWorker,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    package = (
        request.getfixturevalue("generated_package") if execution_mode == "generated" else None
    )
    monkeypatch.setenv("LOOM_JOBS", "celery")
    monkeypatch.setenv("LOOM_CELERY_BROKER_URL", f"{redis_url}/0")
    database, outbox = tmp_path / "shop.db", tmp_path / "outbox.jsonl"
    app = await ShopApp.open(
        database, fresh=True, execution_mode=execution_mode, generated_package=package
    )
    try:
        assert isinstance(app.jobs, CeleryJobService)
        await app.users.add(email="ada@example.com", name="Ada")
        await app.products.add(sku="MUG", name="Mug", price_cents=1250, stock=50)
        worker = start_worker(
            "shop",
            app="examples.shop.worker",
            LOOM_CELERY_BROKER_URL=f"{redis_url}/0",
            LOOM_SHOP_DB=str(database),
            LOOM_SHOP_OUTBOX=str(outbox),
        )
        token = set_trace_id("order-trace-1")
        try:
            order = await app.executor.execute(
                app.make(PlaceOrder), params={"user_id": 1}, payload={"sku": "MUG", "quantity": 2}
            )
        finally:
            reset_trace_id(token)
        assert app.outbox.sent == []  # not sent here: queued for the worker
        wait_until(lambda: sent(outbox), 60, "the worker to send the e-mail")
        assert sent(outbox) == [
            {
                "to": "ada@example.com",
                "subject": f"Order #{order.id} confirmed",
                "body": "2 x Mug (MUG), total 25.00",
                "trace_id": "order-trace-1",
            }
        ]
        assert app.metrics.counts()[EventKind.JOB_DISPATCHED] == 1
        assert "SendEmail" in worker.output() and "order-trace-1" in worker.output()
    finally:
        await app.close()


async def test_the_shop_runs_jobs_inline_unless_configured(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("LOOM_JOBS", raising=False)
    app = await ShopApp.open(tmp_path / "shop.db", fresh=True)
    try:
        assert isinstance(app.jobs, InlineJobService)
    finally:
        await app.close()
    monkeypatch.setenv("LOOM_JOBS", "celery")
    monkeypatch.delenv("LOOM_CELERY_BROKER_URL", raising=False)
    with pytest.raises(ValueError, match="LOOM_JOBS=celery needs LOOM_CELERY_BROKER_URL"):
        await ShopApp.open(tmp_path / "shop.db", fresh=True)
    monkeypatch.setenv("LOOM_JOBS", "rabbit")
    with pytest.raises(ValueError, match="LOOM_JOBS='rabbit': expected 'inline'"):
        await ShopApp.open(tmp_path / "shop.db", fresh=True)
