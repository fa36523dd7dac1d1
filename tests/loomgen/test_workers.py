"""How many processes build how many modules."""

from __future__ import annotations

import pytest

from loomgen import workers


@pytest.mark.parametrize(
    ("setting", "count", "expected"),
    [
        ("4", workers.PARALLEL_THRESHOLD - 1, 1),  # too few modules for a pool
        ("4", workers.PARALLEL_THRESHOLD, 4),
        ("64", workers.PARALLEL_THRESHOLD, workers.PARALLEL_THRESHOLD),  # no idle worker
        ("1", 100, 1),
        ("0", 100, 1),
        ("many", 100, 1),  # unreadable: in-process
    ],
)
def test_jobs_follow_the_variable_and_the_number_of_modules(
    monkeypatch: pytest.MonkeyPatch, setting: str, count: int, expected: int
) -> None:
    monkeypatch.setenv(workers.JOBS_VARIABLE, setting)
    assert workers.jobs_for(count) == expected


def test_without_the_variable_there_is_a_worker_per_core(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(workers.JOBS_VARIABLE, raising=False)
    monkeypatch.setattr("os.cpu_count", lambda: 3)
    assert workers.jobs_for(100) == 3
