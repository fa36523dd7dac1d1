"""Check and build on a fresh clone: the committed package, no build cache.

For the synthetic project (:mod:`bench.synthetic`) at 1,000 and 10,000 use
cases: one cold build (which writes the package and its record of inputs),
then, with the build cache deleted as a fresh CI clone has it, the wall time
of ``loomgen check``, of a ``loomgen build`` with nothing to do, and of a
``loomgen build`` after one module was edited. Each command runs in its own
process, as CI runs it; the medians of three runs are reported.
"""

from __future__ import annotations

import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from bench.synthetic import PER_MODULE, write_project

CHECK_SECONDS = {1_000: 1.0, 10_000: 3.0}
EDIT_SECONDS = 2.0
REPEATS = 3


@dataclass
class FreshClone:
    use_cases: int
    cold: float
    check: float
    noop_build: float
    edit_build: float


def _loomgen(folder: Path, *args: str) -> float:
    start = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "loomgen", *args, "--no-cache", "-q"],
        cwd=folder,
        capture_output=True,
        text=True,
    )
    elapsed = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit(f"loomgen {' '.join(args)} failed:\n{done.stdout}{done.stderr}")
    return elapsed


def measure(use_cases: int, log: bool = True) -> FreshClone:
    folder = Path(tempfile.mkdtemp(prefix="loom-fresh-clone-"))
    try:
        modules = write_project(folder, use_cases // PER_MODULE)
        if log:
            print(f"  . fresh clone, {use_cases:,} use cases: cold build ...", flush=True)
        cold = _loomgen(folder, "build")
        shutil.rmtree(folder / ".loomgen-cache", ignore_errors=True)
        check = statistics.median(_loomgen(folder, "check") for _ in range(REPEATS))
        noop = statistics.median(_loomgen(folder, "build") for _ in range(REPEATS))
        edits = []
        for repeat in range(REPEATS):
            target = modules[len(modules) // 2 + repeat]
            text = target.read_text(encoding="utf-8")
            target.write_text(text.replace("profile=", "profile=", 1) + "\n# edited\n")
            edits.append(_loomgen(folder, "build"))
        return FreshClone(use_cases, cold, check, noop, statistics.median(edits))
    finally:
        shutil.rmtree(folder, ignore_errors=True)


__all__ = ["CHECK_SECONDS", "EDIT_SECONDS", "FreshClone", "measure"]
