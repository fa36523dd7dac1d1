"""The shop's jobs.

``StockAlert`` is a synchronous job: its ``execute`` is a plain ``def``. The
executor still does the asynchronous part (loading the product through its
repository) before calling it, and, since the job is not read-only, wraps it
in a unit of work so that the alert it queues is sent only after that unit of
work commits.

``SendEmail`` is the e-mail job ``PlaceOrder`` dispatches through the shop's
job service: in this process after the commit (``InlineJobService``), or on a
Celery worker (``LOOM_JOBS=celery``, see :mod:`examples.shop.worker`).
"""

from functools import partial

from examples.shop.commands import SendEmailCmd, StockAlertCmd
from examples.shop.domain import Email, Product
from examples.shop.services import ShopServices
from loom.core.errors import RuleViolation
from loom.core.job import Job
from loom.core.job.context import add_pending_dispatch
from loom.core.tracing import get_trace_id
from loom.core.use_case import Input, LoadById

WAREHOUSE_ADDRESS = "warehouse@shop.example"


def threshold_is_positive(cmd: StockAlertCmd, fields_set: frozenset[str]) -> None:
    if cmd.threshold <= 0:
        raise RuleViolation("threshold", "must be at least 1")


class StockAlert(Job[bool]):
    """Ask the warehouse to reorder a product whose stock fell below a threshold.

    Returns whether an alert was queued.
    """

    rules = [threshold_is_positive]

    def __init__(self, shop: ShopServices) -> None:
        self.shop = shop

    def execute(
        self,
        product_id: int,
        cmd: StockAlertCmd = Input(),
        product: Product = LoadById(Product, by="product_id"),
    ) -> bool:
        if product.stock >= cmd.threshold:
            return False
        alert = Email(
            to=WAREHOUSE_ADDRESS,
            subject=f"Reorder {product.sku}",
            body=f"only {product.stock} x {product.name} left (threshold {cmd.threshold})",
            trace_id=get_trace_id(),
        )
        add_pending_dispatch(partial(self.shop.outbox.send, alert))
        return True


class SendEmail(Job[None]):
    """Send one e-mail through the shop's outbox.

    Read-only: it writes nothing to the database, so it runs without a unit
    of work. The e-mail carries the trace id of the request that queued the
    job, on a worker too (the worker installs it before running the job).
    """

    read_only = True
    __queue__ = "email"
    __retries__ = 3

    def __init__(self, shop: ShopServices) -> None:
        self.shop = shop

    async def execute(self, cmd: SendEmailCmd = Input()) -> None:
        await self.shop.outbox.send(
            Email(to=cmd.to, subject=cmd.subject, body=cmd.body, trace_id=get_trace_id())
        )
