"""``python -m bench`` (``make bench``): loom's and loomgen's speed, against targets.

Part 1, per-call cost (:mod:`bench.percall`, :mod:`bench.harness`): for each
plan shape, hand-written straight-line code, the generated executor and the
interpreter, measured interleaved in this run; on the together shape also
loom-kernel 0.12.3's interpreter (:mod:`bench.kernel`, its own venv). Next to
each ratio, the shape's floor (:mod:`bench.floor`): its hand-written time plus
what loom's calling contract costs per call, measured in the same run. Then a
count of the events and log records built per call with no metrics adapter
and logging at its default level.

Part 2, build speed and scale (:mod:`bench.buildspeed`) on a synthetic project
of 1,000 use cases in 100 modules (:mod:`bench.synthetic`).

Part 3, the shop served over HTTP under load (:mod:`bench.http`): requests per
second and p50/p99 of loom (both modes) against the same routes written by
hand on bare FastAPI, on SQLite and PostgreSQL.

Part 4, jobs on Celery (:mod:`bench.jobs`): jobs per second through one worker
process with generated and interpreted executors (and a bare Celery task as
the baseline), and the enqueue cost per job on the request path, on a real
Redis. Reported, without targets.

Every figure is printed with its target and PASS/FAIL. Options: ``--quick``
(fewer repeats), ``--skip-build``, ``--skip-kernel``, ``--skip-http``, ``--skip-jobs``.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import platform
import sys
import time
from dataclasses import dataclass
from typing import Any

from bench import floor, percall
from bench.harness import Timings

GEN_VS_HAND = 1.10
"""Generated / hand-written, on every shape whose hand-written cost is 1 µs or more."""
GEN_VS_HAND_PROMETHEUS = 1.20
"""The same with Prometheus metrics on both sides (loom's adapter; the same series by hand)."""
GEN_VS_HAND_SHAPE = {"show_page": 1.5, "place_order": 1.5}
"""Shapes with a target of their own: params only (0.2 µs by hand, where the executor's
fixed cost weighs most) and the nested use case (two executions)."""
INTERP_VS_GEN = 3.0
NOOP_SECONDS = 0.5
EDIT_SECONDS = 1.0
STARTUP_MS = 100.0
GEN_VS_INTERP_START = 0.5
COLD_VS_BLACK = 0.5
TOGETHER = "rename_user"


@dataclass
class Verdict:
    label: str
    value: str
    target: str
    ok: bool | None  # None: not measured


def verdict_line(v: Verdict) -> str:
    mark = "SKIP" if v.ok is None else ("PASS" if v.ok else "FAIL")
    return f"  [{mark}] {v.label:<58} {v.value:>16}   target {v.target}"


def observability_counts() -> dict[str, dict[str, int]]:
    """Events and log records/messages built over 200 successful calls, per mode."""
    from loom.core.engine.events import RuntimeEvent
    from loom.core.logger.port import StdlibLogger, _Line
    from bench.usecases.domain import repositories
    from bench.usecases.together import RenameUser

    counts: dict[str, dict[str, int]] = {}
    generated, interpreted = percall.executors()
    repos = repositories()
    for mode, executor in (("generated", generated), ("interpreted", interpreted)):
        seen = {"events": 0, "records": 0, "messages": 0}
        saved = (
            RuntimeEvent.__init__,
            logging.Logger.makeRecord,
            StdlibLogger.info,
            StdlibLogger.debug,
            _Line.__init__,
        )

        def count(key: str, real: Any) -> Any:
            def wrapper(*args: Any, **kwargs: Any) -> Any:
                seen[key] += 1
                return real(*args, **kwargs)

            return wrapper

        async def calls() -> None:
            for _ in range(200):
                await executor.execute(
                    RenameUser(),
                    params={"user_id": 3},
                    payload={"email": "ada@example.com", "name": "Ada"},
                    dependencies=repos,
                )

        asyncio.run(calls())  # warm-up: preparation may log or emit
        RuntimeEvent.__init__ = count("events", saved[0])  # type: ignore[method-assign]
        logging.Logger.makeRecord = count("records", saved[1])  # type: ignore[method-assign]
        StdlibLogger.info = count("messages", saved[2])  # type: ignore[method-assign]
        StdlibLogger.debug = count("messages", saved[3])  # type: ignore[method-assign]
        _Line.__init__ = count("messages", saved[4])  # type: ignore[method-assign]
        try:
            asyncio.run(calls())
        finally:
            (
                RuntimeEvent.__init__,  # type: ignore[method-assign]
                logging.Logger.makeRecord,  # type: ignore[method-assign]
                StdlibLogger.info,  # type: ignore[method-assign]
                StdlibLogger.debug,  # type: ignore[method-assign]
                _Line.__init__,  # type: ignore[method-assign]
            ) = saved
        counts[mode] = seen
    return counts


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer repeats (noisier)")
    parser.add_argument("--skip-build", action="store_true", help="skip the build benchmarks")
    parser.add_argument("--skip-kernel", action="store_true", help="skip loom-kernel")
    parser.add_argument("--skip-http", action="store_true", help="skip the HTTP load (bench.http)")
    parser.add_argument("--skip-jobs", action="store_true", help="skip jobs on Celery (bench.jobs)")
    args = parser.parse_args(argv)
    started = time.perf_counter()
    repeats = 7 if args.quick else 21
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(
        f"loom benchmarks: Python {platform.python_version()}, {os.cpu_count()} cores,"
        f" load average {load:.2f} at start"
    )
    verdicts: list[Verdict] = []

    # -- part 1: per call ----------------------------------------------------------
    print("\n== Per-call cost ==")
    percall.build_generated()
    shapes = percall.shapes()
    kernel_note = "skipped (--skip-kernel)"
    server = None
    if not args.skip_kernel:
        from bench import kernel

        print(
            f"  . loom-kernel: {kernel.REQUIREMENT} in {kernel.VENV.relative_to(kernel.ROOT)} ..."
        )
        problem = kernel.ensure_installed()
        if problem is None:
            server = kernel.KernelServer()
            reply = server.check()
            if reply != "ok Ada":
                kernel_note = f"skipped: unexpected reply from the kernel script: {reply!r}"
                server.close()
                server = None
            else:
                kernel_note = "measured in its own venv, interleaved with the other variants"
                shape = next(shape for shape in shapes if shape.key == TOGETHER)
                shape.variants[percall.KERNEL] = server.remote()
        else:
            kernel_note = f"skipped: {problem}"
        print(f"  . loom-kernel: {kernel_note}")
    for shape in shapes:
        # The contract's costs run in every shape's group, so a shape's floor
        # comes from the same moments as its hand-written time.
        shape.variants.update(floor.variants())
    print(
        f"  . {len(shapes)} shapes, {len(shapes[0].variants)} variants each (with the floor's"
        f" costs), {repeats} interleaved repeats ..."
    )
    try:
        results = asyncio.run(percall.run_shapes(shapes, repeats=repeats, chunk_seconds=0.02))
    finally:
        if server is not None:
            server.close()
    costs = floor.Costs.from_timings(results[TOGETHER])

    header = (
        f"  {'shape':<52} {'hand':>7} {'generated':>10} {'interpreted':>12}"
        f" {'gen/hand':>9} {'floor':>6} {'interp/gen':>11} {'hand+prom':>10} {'gen+prom':>9}"
        f" {'ratio':>7}"
    )
    print(
        f"\n  µs per call, median of {repeats} repeats (ratios: median of per-repeat ratios);"
        "\n  +prom: with Prometheus metrics (loom's adapter attached to the executor; the same"
        " series updated by a decorator on the hand-written function, which calls labels() per"
        " call as prometheus_client's documentation shows; loom's instruments keep their"
        " labelled children)"
        "\n  floor: hand-written plus what loom's calling contract costs per call"
        f" (bench/floor.py, measured with each shape; with {TOGETHER}: {costs.describe()}),"
        " over hand-written"
    )
    print(header)
    print("  " + "-" * (len(header) - 2))
    for shape in shapes:
        t: Timings = results[shape.key]
        hand, gen, interp, hand_prom, gen_prom = (
            t.median_us(n)
            for n in (
                percall.HAND,
                percall.GENERATED,
                percall.INTERPRETED,
                percall.HAND_PROMETHEUS,
                percall.GENERATED_PROMETHEUS,
            )
        )
        gen_hand = t.ratio(percall.GENERATED, percall.HAND)
        interp_gen = t.ratio(percall.INTERPRETED, percall.GENERATED)
        prom_ratio = t.ratio(percall.GENERATED_PROMETHEUS, percall.HAND_PROMETHEUS)
        calls, units_of_work = floor.SHAPE_CALLS.get(shape.key, (1, 0))
        shape_costs = floor.Costs.from_timings(t)
        floor_ratio = shape_costs.floor_us(hand, calls=calls, units_of_work=units_of_work) / hand
        print(
            f"  {shape.title:<52} {hand:>7.2f} {gen:>10.2f} {interp:>12.2f}"
            f" {gen_hand:>8.2f}x {floor_ratio:>5.2f}x {interp_gen:>10.2f}x {hand_prom:>10.2f}"
            f" {gen_prom:>9.2f} {prom_ratio:>6.2f}x"
        )
        limit = GEN_VS_HAND_SHAPE.get(shape.key, GEN_VS_HAND)
        verdicts.append(
            Verdict(
                f"generated <= {limit}x hand-written: {shape.key}",
                f"{gen_hand:.2f}x",
                f"<= {limit}x (contract floor {floor_ratio:.2f}x)",
                gen_hand <= limit,
            )
        )
        if shape.key not in GEN_VS_HAND_SHAPE:
            verdicts.append(
                Verdict(
                    f"  same, both with Prometheus metrics: {shape.key}",
                    f"{prom_ratio:.2f}x",
                    f"<= {GEN_VS_HAND_PROMETHEUS}x",
                    prom_ratio <= GEN_VS_HAND_PROMETHEUS,
                )
            )
    together = results[TOGETHER]
    interp_gen = together.ratio(percall.INTERPRETED, percall.GENERATED)
    verdicts.append(
        Verdict(
            f"generated >= {INTERP_VS_GEN:g}x faster than the interpreter: {TOGETHER}",
            f"{interp_gen:.2f}x",
            f">= {INTERP_VS_GEN:g}x",
            interp_gen >= INTERP_VS_GEN,
        )
    )
    # What the 3x target is up against: generated code cannot cost less than the
    # hand-written pipeline, so interp/hand bounds interp/gen from above.
    ceiling = together.ratio(percall.INTERPRETED, percall.HAND)
    hand_us, gen_us, interp_us = (
        together.median_us(n) for n in (percall.HAND, percall.GENERATED, percall.INTERPRETED)
    )
    removed = (interp_us - gen_us) / (interp_us - hand_us) if interp_us > hand_us else float("nan")
    print(
        f"  ceiling on {TOGETHER}: interpreted/hand-written {ceiling:.2f}x, what a generated"
        " path costing nothing over hand-written code would reach;"
        f"\n  generated code removes {removed:.0%} of the interpreter's cost over hand-written code"
    )
    if percall.KERNEL in together.per_call:
        kernel_us = together.median_us(percall.KERNEL)
        ratio = together.ratio(percall.INTERPRETED, percall.KERNEL)
        print(
            f"  {'loom-kernel 0.12.3 interpreter, same shape (' + TOGETHER + ')':<52}"
            f" {'':>7} {'':>10} {kernel_us:>12.2f}   interpreter/kernel {ratio:.2f}x"
        )
        verdicts.append(
            Verdict(
                "interpreter no slower than loom-kernel 0.12.3's: " + TOGETHER,
                f"{together.median_us(percall.INTERPRETED):.2f} vs {kernel_us:.2f} µs",
                "<= 1.00x",
                ratio <= 1.0,
            )
        )
    else:
        print(f"  loom-kernel 0.12.3: {kernel_note}")
        verdicts.append(
            Verdict("interpreter no slower than loom-kernel 0.12.3's", "n/a", "<= 1.00x", None)
        )
    print(
        "  (hand-written: bench/handwritten.py; kernel: structlog filtering below WARNING, its"
        " logger cached, msgspec command)"
    )

    counts = observability_counts()
    for mode, seen in counts.items():
        print(
            f"  {mode}: over 200 calls, {seen['events']} RuntimeEvent built,"
            f" {seen['records']} log records made, {seen['messages']} log messages built"
        )
        verdicts.append(
            Verdict(
                f"no events / log records / messages per call ({mode})",
                f"{seen['events']}/{seen['records']}/{seen['messages']}",
                "0/0/0",
                not any(seen.values()),
            )
        )

    # -- part 2: builds ----------------------------------------------------------------
    if not args.skip_build:
        from bench import buildspeed

        print("\n== Build speed and scale ==")
        figures = buildspeed.measure(buildspeed.Log())
        noop = buildspeed.median(figures.noop)
        edit = buildspeed.median(figures.edits)
        cold_ratio = figures.cold / figures.black
        expected_edit = {
            "synth/m042.py",
            "__init__.py",
            "_loomgen_manifest.json",
            "_loomgen_inputs.json",
        }
        cpu_ratio = figures.cold_cpu / figures.black_cpu
        print(
            f"\n  cold build {figures.cold:.1f} s; black alone over the finished package"
            f" {figures.black:.1f} s (it reformatted {figures.black_reformatted} of"
            f" {figures.black_files} files); ratio {cold_ratio:.2f}x, target <= {COLD_VS_BLACK}x"
            f" (medians of {buildspeed.COLD_REPEATS}, measured in alternation)"
            f"\n  (CPU time, which other jobs on the machine do not inflate: loomgen"
            f" {figures.cold_cpu:.1f} s, black {figures.black_cpu:.1f} s, ratio {cpu_ratio:.2f}x)"
        )
        print(
            f"  no-op rebuild {noop:.2f} s (median of {len(figures.noop)});"
            f" files rewritten: {figures.noop_moved or 'none'}"
        )
        print(
            f"  one module edited {edit:.2f} s (median of {len(figures.edits)});"
            f" files rewritten: {sorted(set().union(*map(set, figures.edit_moved)))}"
        )
        print(
            f"  runtime startup: registry import + fingerprints of {figures.startup_generated} of"
            f" {figures.startup_use_cases} generated executors verified"
            f" {figures.startup_verify_ms:.1f} ms\n  (for information: plans compiled beforehand"
            f" {figures.startup_compile_ms:.1f} ms, as the interpreter needs them too; a full"
            f" RuntimeExecutor.prepare() of all 1,000 classes, which also imports the 100 executor"
            f" modules and checks the objects they bind, {figures.startup_prepare_ms:.1f} ms)"
        )
        start = figures.production
        gen_start, interp_start = start.generated, start.interpreted
        print(
            f"  production start, {gen_start.use_cases} use cases (RuntimeExecutor + prepare_all,"
            f" generated registry import included; CPU, median of {len(start.ratios)}"
            f" alternated runs): generated {gen_start.startup_ms:.1f} ms, interpreted"
            f" {interp_start.startup_ms:.1f} ms, ratio {start.ratio:.2f}x (runs:"
            f" {', '.join(f'{r:.2f}' for r in start.ratios)}), target <= {GEN_VS_INTERP_START}x"
            f"\n  checks prepare_all left to first calls (generated): {gen_start.checks_ms:.1f} ms"
            f" for all, {gen_start.checks_ms / gen_start.use_cases * 1e3:.0f} us per class; start-up +"
            f" checks {gen_start.startup_ms + gen_start.checks_ms:.1f} ms against the interpreter's"
            f" {interp_start.startup_ms + interp_start.checks_ms:.1f} ms"
            f"\n  resident memory (MiB): modules imported {gen_start.rss_imported_mb:.1f} /"
            f" {interp_start.rss_imported_mb:.1f}; after start-up generated {gen_start.rss_started_mb:.1f},"
            f" interpreted {interp_start.rss_started_mb:.1f}; generated after every check"
            f" {gen_start.rss_checked_mb:.1f}"
        )
        verdicts += [
            Verdict(
                "production start (prepare_all of 1,000), generated vs interpreted",
                f"{start.ratio:.2f}x",
                f"<= {GEN_VS_INTERP_START}x",
                start.ratio <= GEN_VS_INTERP_START and gen_start.generated == gen_start.use_cases,
            ),
            Verdict(
                "black alone changes nothing in the finished package",
                f"{figures.black_reformatted} files",
                "0 files",
                figures.black_reformatted == 0,
            ),
            Verdict(
                "cold loomgen build vs black alone (both on all cores), wall",
                f"{cold_ratio:.2f}x",
                f"<= {COLD_VS_BLACK}x",
                cold_ratio <= COLD_VS_BLACK,
            ),
            Verdict(
                "  same, CPU time of all processes (independent of machine load)",
                f"{cpu_ratio:.2f}x",
                f"<= {COLD_VS_BLACK}x",
                cpu_ratio <= COLD_VS_BLACK,
            ),
            Verdict("no-op rebuild", f"{noop:.2f} s", f"<= {NOOP_SECONDS} s", noop <= NOOP_SECONDS),
            Verdict(
                "no-op rebuild rewrites no file",
                f"{len(figures.noop_moved)} files",
                "0 files",
                not figures.noop_moved,
            ),
            Verdict(
                "one module edited", f"{edit:.2f} s", f"<= {EDIT_SECONDS} s", edit <= EDIT_SECONDS
            ),
            Verdict(
                "edit rewrites only that module (+ registry, manifest, inputs)",
                f"{max(map(len, figures.edit_moved))} files",
                "4 files",
                all(set(m) <= expected_edit for m in figures.edit_moved),
            ),
            Verdict(
                "runtime startup: registry + 1,000 fingerprints verified",
                f"{figures.startup_verify_ms:.1f} ms",
                f"<= {STARTUP_MS:g} ms",
                figures.startup_verify_ms <= STARTUP_MS
                and figures.startup_generated == figures.startup_use_cases,
            ),
        ]

        from bench import freshclone

        print("\n== Fresh clone: the committed package, no build cache ==")
        for use_cases in (1_000,) if args.quick else (1_000, 10_000):
            clone = freshclone.measure(use_cases)
            limit = freshclone.CHECK_SECONDS[use_cases]
            print(
                f"  {use_cases:,} use cases: cold build {clone.cold:.1f} s; then without cache:"
                f" check {clone.check:.2f} s, build with nothing to do {clone.noop_build:.2f} s,"
                f" build after a one-module edit {clone.edit_build:.2f} s"
            )
            verdicts += [
                Verdict(
                    f"fresh clone, {use_cases:,} use cases: loomgen check",
                    f"{clone.check:.2f} s",
                    f"<= {limit:g} s",
                    clone.check <= limit,
                ),
                Verdict(
                    f"fresh clone, {use_cases:,} use cases: build, nothing changed",
                    f"{clone.noop_build:.2f} s",
                    f"<= {limit:g} s",
                    clone.noop_build <= limit,
                ),
            ]
            if use_cases == 1_000:
                verdicts.append(
                    Verdict(
                        "fresh clone, 1,000 use cases: build after one module edit",
                        f"{clone.edit_build:.2f} s",
                        f"<= {freshclone.EDIT_SECONDS:g} s",
                        clone.edit_build <= freshclone.EDIT_SECONDS,
                    )
                )

    if not args.skip_http:
        from bench import http

        total = 2_000 if args.quick else http.TOTAL
        print(f"\n== HTTP load: {total:,} requests, {http.CLIENTS} clients (bench/http.py) ==")
        http.report(http.measure(total))

    if not args.skip_jobs:
        from bench import jobs

        print("\n== Jobs on Celery: one worker process, a real Redis (bench/jobs.py) ==")
        jobs.report(jobs.measure())

    print("\n== Targets ==")
    for v in verdicts:
        print(verdict_line(v))
    failed = [v for v in verdicts if v.ok is False]
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(
        f"\n{len(verdicts) - len(failed)} of {len(verdicts)} targets met"
        f" ({sum(v.ok is None for v in verdicts)} skipped); load average {load:.2f} at the end;"
        f" total {time.perf_counter() - started:.0f} s"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
