"""Use cases for the load test (compiled by loomgen into a temporary package).

``Transfer`` loads an account, checks a rule, queues a dispatch and runs
``Audit`` nested through the same executor; either may fail on request.
Both report what they see of the context (unit of work, trace id) to a
``Probe``, and each dispatch reports the context it was queued and run in.
``Balance`` is a read-only sync job (no unit of work).
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from functools import partial
from typing import Any

from loom.core.command import Command
from loom.core.engine import RuntimeExecutor
from loom.core.errors import RuleViolation
from loom.core.job import Job
from loom.core.job.context import add_pending_dispatch
from loom.core.tracing import get_trace_id
from loom.core.uow.context import get_active_uow
from loom.core.use_case import Exists, Input, LoadById, UseCase


@dataclass(frozen=True)
class Account:
    id: int
    owner: str


class TransferCmd(Command):
    amount: int
    fail_at: str = ""


class Probe:
    """Collects what each execution saw; one per round."""

    def __init__(self) -> None:
        self.seen: list[tuple[str, str | None, Any]] = []
        """``(who, trace id, active unit of work)`` from inside each ``execute``."""
        self.dispatched: list[tuple[str, str | None, str | None, Any]] = []
        """``(label, trace id when queued, trace id when run, unit of work when run)``."""
        self.events: list[str] = []
        """What happened, in order: ``transfer:start``, ``audit``, ``transfer:end``,
        ``dispatch:<label>``."""


@dataclass
class Services:
    executor: RuntimeExecutor
    probe: Probe = field(default_factory=Probe)


def record_dispatch(probe: Probe, label: str, queued_in: str | None) -> None:
    probe.dispatched.append((label, queued_in, get_trace_id(), get_active_uow()))
    probe.events.append(f"dispatch:{label}")


def amount_is_positive(cmd: TransferCmd, fields_set: frozenset[str]) -> None:
    if cmd.amount <= 0:
        raise RuleViolation("amount", "must be positive")


class Audit(UseCase[Account, str]):
    """Nested: joins the caller's unit of work."""

    def __init__(self, services: Services) -> None:
        self.services = services

    async def execute(
        self,
        account_id: int,
        fail: bool,
        account: Account = LoadById(Account, by="account_id"),
        known: bool = Exists(Account, from_param="account_id", against="id"),
    ) -> str:
        probe = self.services.probe
        trace_id = get_trace_id()
        probe.seen.append(("audit", trace_id, get_active_uow()))
        probe.events.append("audit")
        add_pending_dispatch(partial(record_dispatch, probe, "audit", trace_id))
        await asyncio.sleep(0)
        if fail:
            raise ValueError(f"audit of {account.id} failed for {trace_id}")
        return f"audited {account.owner}"


class Transfer(UseCase[Account, str]):
    rules = [amount_is_positive]

    def __init__(self, services: Services) -> None:
        self.services = services

    async def execute(
        self,
        account_id: int,
        cmd: TransferCmd = Input(),
        account: Account = LoadById(Account, by="account_id"),
    ) -> str:
        services = self.services
        probe = services.probe
        trace_id = get_trace_id()
        probe.seen.append(("transfer", trace_id, get_active_uow()))
        probe.events.append("transfer:start")
        add_pending_dispatch(partial(record_dispatch, probe, "transfer", trace_id))
        await asyncio.sleep(0)
        try:
            audited = await services.executor.execute(
                Audit(services),
                params={"account_id": account_id, "fail": cmd.fail_at.startswith("audit")},
            )
        except ValueError:
            if cmd.fail_at != "audit-swallowed":
                raise
            audited = "audit skipped"
        await asyncio.sleep(0)
        probe.events.append("transfer:end")
        if cmd.fail_at == "transfer":
            raise RuntimeError(f"transfer failed for {trace_id}")
        return f"{cmd.amount} from {account.owner}, {audited}"


class Balance(Job[int]):
    """A read-only sync job: no unit of work, nothing to await in ``execute``."""

    read_only = True

    def __init__(self, services: Services) -> None:
        self.services = services

    def execute(
        self, account_id: int, account: Account = LoadById(Account, by="account_id")
    ) -> int:
        self.services.probe.seen.append(("balance", get_trace_id(), get_active_uow()))
        return account.id * 100
