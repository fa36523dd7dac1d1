"""Dispatches that must wait until the current transaction has committed.

A use case that wants to enqueue a job or publish a message calls
:func:`add_pending_dispatch`; the executor that owns the unit of work runs the
queued callables only after it commits, and drops them when it rolls back, so
nothing is announced about data that was never persisted.

The queue lives in a context variable. The executor that opens a unit of work
installs a fresh list for the duration of the transaction; nested executions
and tasks spawned inside it share that list, while concurrent top-level
executions each have their own.

An execution without a unit of work of its own (read-only, no factory
configured, or nested in a caller's) leaves the queue alone: it has no
transaction to wait for, so the dispatches it queues wait for whoever owns the
queue: the enclosing unit of work, or the caller, who runs them with
:func:`flush_pending_dispatches` or drops them with
:func:`clear_pending_dispatches`.

Without a unit of work, the queue is created by the first
:func:`add_pending_dispatch` of a context. A task spawned before that (by
``asyncio.gather``, say) gets a queue of its own, which only code running in
that task can flush: with no unit of work, flush in the task that queued.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from contextvars import ContextVar, Token
from typing import Any

_pending: ContextVar[list[Callable[[], Any]] | None] = ContextVar(
    "loom_pending_dispatches", default=None
)


def add_pending_dispatch(dispatch: Callable[[], Any]) -> None:
    """Queue a zero-argument callable (sync, or returning an awaitable)."""
    queue = _pending.get()
    if queue is None:
        queue = []
        _pending.set(queue)
    queue.append(dispatch)


async def flush_pending_dispatches() -> None:
    """Run and forget every queued dispatch, in the order they were added.

    The queue is detached before the first call, so a dispatch that raises
    leaves nothing behind for a later request.
    """
    await run_dispatches(take_pending_dispatches())


def take_pending_dispatches() -> list[Callable[[], Any]]:
    """Detach and return the queued dispatches of the current context."""
    queue = _pending.get()
    _pending.set(None)
    return queue or []


async def run_dispatches(dispatches: list[Callable[[], Any]]) -> None:
    """Call each dispatch in order, awaiting those that return an awaitable."""
    for dispatch in dispatches:
        outcome = dispatch()
        if inspect.isawaitable(outcome):
            await outcome


def clear_pending_dispatches() -> None:
    """Drop every queued dispatch without running it."""
    _pending.set(None)


DispatchScope = Token[list[Callable[[], Any]] | None]
"""What :func:`open_dispatch_scope` returns and :func:`close_dispatch_scope` takes."""


def open_dispatch_scope(
    queue: list[Callable[[], Any]] | None = None,
) -> DispatchScope:
    """Install ``queue`` (a fresh empty one by default) as the current context's queue.

    The owner of a unit of work opens a scope for its transaction, so what is
    queued meanwhile is its own, and closes it with :func:`close_dispatch_scope`
    when the transaction is over, which restores the queue that was current
    before.
    """
    return _pending.set([] if queue is None else queue)


def close_dispatch_scope(scope: DispatchScope) -> list[Callable[[], Any]]:
    """Restore the queue current before ``scope`` opened; return what was queued in it.

    The list returned is the scope's queue as it stands (the very list passed
    to :func:`open_dispatch_scope` unless it was cleared meanwhile), or a new
    empty list when it was cleared and nothing was queued since.
    """
    queue = _pending.get()
    _pending.reset(scope)
    return [] if queue is None else queue


def pending_dispatch_count() -> int:
    """How many dispatches are queued in the current context."""
    queue = _pending.get()
    return 0 if queue is None else len(queue)
