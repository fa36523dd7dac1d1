"""Pending dispatches of a use case that runs another one, with and without a unit of work.

``Transfer`` queues a dispatch, runs ``Audit`` nested (which queues its own
and may fail; ``Transfer`` may swallow that failure), then may fail itself.
With a unit of work, whatever the outcome of the nested call,
``Transfer``'s dispatch must run exactly when ``Transfer`` succeeds, and only
after it has finished (after the commit). Without one, the executor leaves
the queue alone: every dispatch queued stays queued, in order, for the caller
to flush or clear. Both must hold in both modes.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from loom.core.engine import RuntimeExecutor, UseCaseCompiler
from loom.core.job.context import (
    clear_pending_dispatches,
    flush_pending_dispatches,
    pending_dispatch_count,
)
from tests.load import usecases as load_usecases
from tests.load.usecases import Account, Audit, Services, Transfer
from tests.tmp_project import build_generated
from tests.support import RecordingLogger, RecordingUnitOfWorkFactory

ROOT = Path(__file__).resolve().parents[3]


class Accounts:
    async def get_by_id(self, value: Any, *, profile: str) -> Account | None:
        return Account(value, f"owner-{value}")

    async def exists_by(self, field: str, value: Any) -> bool:
        return True


@pytest.fixture(scope="module")
def package(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    output = tmp_path_factory.mktemp("nesting") / "loom_nesting_generated"
    yield from build_generated([Path(load_usecases.__file__)], output, ROOT)


CASES = {
    # fail_at: (Transfer succeeds?, events that must be seen, in order, before dispatches)
    "": True,
    "transfer": False,
    "audit": False,
    "audit-swallowed": True,
}


@pytest.mark.parametrize("mode", ["interpreted", "generated"])
@pytest.mark.parametrize("uow", [True, False], ids=["unit-of-work", "no-unit-of-work"])
@pytest.mark.parametrize("fail_at", list(CASES), ids=[f or "success" for f in CASES])
async def test_the_outer_dispatch_runs_once_the_outer_call_succeeded(
    package: str, mode: str, uow: bool, fail_at: str
) -> None:
    """Regression (bug, no unit of work only) in the executor's no-factory path.

    An earlier executor without a unit of work flushed the pending dispatches
    when *any* call succeeded and dropped them when any call failed: the
    nested ``Audit`` shares the outer call's queue, so its success ran
    ``Transfer``'s dispatch in the middle of ``Transfer``, and its failure,
    swallowed by ``Transfer``, discarded ``Transfer``'s dispatch. Only the
    owner of the queue (a unit of work, or the caller) may flush or drop it.
    """
    executor = RuntimeExecutor(
        UseCaseCompiler(logger=RecordingLogger()),
        uow_factory=RecordingUnitOfWorkFactory() if uow else None,
        logger=RecordingLogger(),
        repo_resolver={Account: Accounts()}.get,
        execution_mode=mode,
        generated_package=package,
    )
    assert executor.uses_generated(Transfer) is (mode == "generated")
    assert executor.uses_generated(Audit) is (mode == "generated")
    services = Services(executor)
    succeeds = CASES[fail_at]
    try:
        await executor.execute(
            Transfer(services), params={"account_id": 3}, payload={"amount": 5, "fail_at": fail_at}
        )
    except (ValueError, RuntimeError):
        assert not succeeds
    else:
        assert succeeds
    events = services.probe.events
    assert events[:2] == ["transfer:start", "audit"], events
    if not uow:
        # Nothing ran; both dispatches wait, in the order they were queued.
        assert not [e for e in events if e.startswith("dispatch:")], events
        assert pending_dispatch_count() == 2
        if succeeds:
            await flush_pending_dispatches()
            assert [e for e in events if e.startswith("dispatch:")] == [
                "dispatch:transfer",
                "dispatch:audit",
            ]
        else:
            clear_pending_dispatches()
        assert pending_dispatch_count() == 0
        return
    assert pending_dispatch_count() == 0
    if succeeds:
        end = events.index("transfer:end")
        assert events.count("dispatch:transfer") == 1, events
        assert events.index("dispatch:transfer") > end, events
    else:
        assert "dispatch:transfer" not in events, events
        assert "dispatch:audit" not in events, events
