"""A small timing harness for per-call costs of async (and sync) callables.

Method, per measured *variant*:

* the call is written into the body of a generated ``for`` loop (as
  ``timeit`` does), so no wrapper function or argument unpacking is added
  between the loop and the call being measured;
* each variant is warmed up, then calibrated to a loop count that takes about
  ``chunk_seconds``;
* all variants of a group are measured **interleaved**: every repeat runs each
  variant once, in a rotating order, so slow phases of a noisy machine hit
  them all alike;
* the garbage collector is paused while a chunk runs;
* time is the CPU time of the measuring thread (``time.thread_time``), not
  wall time: on a shared machine (other jobs on both cores) a chunk may be
  descheduled for milliseconds, which says nothing about the code measured.
  Nothing measured waits for I/O, so on an idle machine the two agree;
* the reported time is the median over repeats, and a ratio between two
  variants is the median of their per-repeat ratios (both measured within
  the same repeat, moments apart).

Only the standard library is used, so the same module also drives the
loom-kernel comparison inside its own virtual environment.
"""

from __future__ import annotations

import gc
import statistics
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from time import perf_counter, thread_time

CLOCK: Callable[[], float] = thread_time
"""The clock of every chunk: CPU time of this thread (see the module docstring)."""
try:
    thread_time()
except OSError:  # pragma: no cover - platforms without a thread CPU clock
    CLOCK = perf_counter
from typing import Any

Loop = Callable[[int], Awaitable[float]]
"""``await loop(n)`` makes ``n`` calls and returns the seconds they took."""


def make_loop(call: str, namespace: Mapping[str, Any], *, is_async: bool = True) -> Loop:
    """A loop running the expression ``call`` ``n`` times, timed around the loop.

    ``call`` is Python source evaluated in ``namespace`` (its names become the
    globals of the generated function), e.g.
    ``"execute(use_case, params=params, payload=payload)"``.
    """
    body = f"await {call}" if is_async else call
    source = (
        "async def _loop(_n):\n"
        "    _range = range(_n)\n"
        "    _t0 = _clock()\n"
        "    for _ in _range:\n"
        f"        {body}\n"
        "    return _clock() - _t0\n"
    )
    scope: dict[str, Any] = dict(namespace)
    scope["_clock"] = CLOCK
    exec(compile(source, f"<bench loop: {call}>", "exec"), scope)  # noqa: S102
    loop: Loop = scope["_loop"]
    return loop


@dataclass
class Remote:
    """A variant measured in another process (see :class:`RemoteLoop`)."""

    run: Callable[[int], float]


@dataclass
class Timings:
    """Per-call seconds of every variant, one value per repeat."""

    per_call: dict[str, list[float]] = field(default_factory=dict)

    def median_us(self, name: str) -> float:
        return statistics.median(self.per_call[name]) * 1e6

    def spread_us(self, name: str) -> tuple[float, float]:
        """Lowest and highest per-repeat value, for a feel of the noise."""
        values = self.per_call[name]
        return min(values) * 1e6, max(values) * 1e6

    def ratio(self, name: str, baseline: str) -> float:
        """Median over repeats of ``name / baseline`` measured in the same repeat."""
        pairs = zip(self.per_call[name], self.per_call[baseline], strict=True)
        return statistics.median(a / b for a, b in pairs)


async def _timed(variant: Loop | Remote, n: int) -> float:
    if isinstance(variant, Remote):
        return variant.run(n)
    gc_was_enabled = gc.isenabled()
    gc.disable()
    try:
        return await variant(n)
    finally:
        if gc_was_enabled:
            gc.enable()


async def calibrate(variant: Loop | Remote, chunk_seconds: float) -> int:
    """A loop count that makes one chunk last about ``chunk_seconds``."""
    n = 16
    while True:
        elapsed = await _timed(variant, n)
        if elapsed >= chunk_seconds / 4 or n >= 1 << 24:
            return max(1, int(n * chunk_seconds / max(elapsed, 1e-9)))
        n *= 4


async def measure(
    variants: Mapping[str, Loop | Remote],
    *,
    repeats: int,
    chunk_seconds: float = 0.02,
    warmup_seconds: float = 0.05,
) -> Timings:
    """Measure every variant ``repeats`` times, interleaved."""
    names: Sequence[str] = list(variants)
    counts: dict[str, int] = {}
    for name in names:
        await calibrate(variants[name], warmup_seconds)  # warm-up (caches, specialization)
        counts[name] = await calibrate(variants[name], chunk_seconds)
    timings = Timings({name: [] for name in names})
    for repeat in range(repeats):
        shift = repeat % len(names)
        for name in (*names[shift:], *names[:shift]):
            n = counts[name]
            timings.per_call[name].append(await _timed(variants[name], n) / n)
        gc.collect()
    return timings
