"""Build speed and scale on the synthetic project (see :mod:`bench.synthetic`).

Every ``loomgen`` run is a fresh ``python -m loomgen`` subprocess in the
synthetic project's folder, timed from outside, the way a developer or CI
runs it. Subprocesses run with bytecode caching on (this sandbox sets
``PYTHONDONTWRITEBYTECODE``, which a normal install does not), after one
warm-up run has written the ``.pyc`` files.

Figures:

* **cold build**: no generated package, no cache; loomgen spreads the modules
  over a process pool (one worker per core);
* **black alone**: ``black --fast`` (no safety re-check, like the in-process
  ``black.format_str`` loomgen uses) over a copy of the finished generated
  package in a scratch folder, with an empty black cache; black's CLI also
  uses one process per core. It must reformat no file: loomgen's output is
  byte for byte what black writes;
* **no-op rebuild**: nothing changed; also checks that no file's mtime moved;
* **one module edited**: three successive edits of ``synth/m042.py``; lists
  the files whose mtime moved;
* **production start** (:mod:`bench.startup`): ``prepare_all`` of the 1,000
  classes in ``generated`` against ``interpreted`` mode, the checks it leaves
  to first calls, and resident memory;
* **runtime startup**: in a fresh process, the synthetic modules imported and
  their plans compiled first (the interpreter needs those too), then the time
  to import the generated registry and verify all 1,000 executors:
  ``RuntimeExecutor.prepare`` for every class (fingerprint check, generated
  module import, identity check of the objects each executor was written
  for).
"""

from __future__ import annotations

import json
import os
import re
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from bench import startup as production_start
from bench import synthetic

ROOT = Path(__file__).resolve().parent.parent
PROJECT = ROOT / ".bench" / "synthetic"
OUTPUT = PROJECT / synthetic.OUTPUT_PACKAGE
CACHE = PROJECT / ".loomgen-cache"
EDITED = PROJECT / synthetic.PACKAGE / "m042.py"


def environment() -> dict[str, str]:
    env = dict(os.environ)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env.pop("LOOMGEN_JOBS", None)
    env["PYTHONPATH"] = os.pathsep.join([str(PROJECT), str(ROOT)])
    return env


def run(args: list[str], *, cwd: Path = PROJECT, env: dict[str, str] | None = None) -> float:
    """Run a command; return its wall time in seconds (fails loudly)."""
    return run_output(args, cwd=cwd, env=env)[0]


LAST_CPU = [0.0]
"""CPU seconds (user + system, all processes) of the last :func:`run_output`."""

COLD_REPEATS = 3
"""How many cold builds and black-alone runs :func:`measure` alternates (medians kept)."""


def children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def run_output(
    args: list[str], *, cwd: Path = PROJECT, env: dict[str, str] | None = None
) -> tuple[float, str]:
    """Run a command; return its wall time in seconds and its stderr.

    Also records in :data:`LAST_CPU` the CPU time it used, worker processes
    included: unlike wall time, that does not depend on what else the machine
    is running.
    """
    cpu = children_cpu()
    start = time.perf_counter()
    done = subprocess.run(args, cwd=cwd, env=env or environment(), capture_output=True, text=True)
    elapsed = time.perf_counter() - start
    LAST_CPU[0] = children_cpu() - cpu
    if done.returncode != 0:
        raise RuntimeError(
            f"{' '.join(args)} failed ({done.returncode}):\n{done.stdout}{done.stderr}"
        )
    return elapsed, done.stderr


def loomgen(*args: str) -> float:
    return run([sys.executable, "-m", "loomgen", *args, "-q"])


def mtimes() -> dict[str, int]:
    return {
        path.relative_to(OUTPUT).as_posix(): path.stat().st_mtime_ns
        for path in sorted(OUTPUT.rglob("*"))
        if path.is_file() and "__pycache__" not in path.parts
    }


def moved(before: dict[str, int], after: dict[str, int]) -> list[str]:
    return sorted(rel for rel in after if before.get(rel) != after[rel]) + sorted(
        rel for rel in before if rel not in after
    )


@dataclass
class BuildFigures:
    cold: float
    cold_cpu: float
    black: float
    black_cpu: float
    black_files: int
    black_reformatted: int
    noop: list[float]
    noop_moved: list[str]
    edits: list[float]
    edit_moved: list[list[str]]
    startup_verify_ms: float
    startup_prepare_ms: float
    startup_compile_ms: float
    startup_use_cases: int
    startup_generated: int
    production: production_start.StartupFigures


STARTUP = f"""
import importlib, json, time
from loom.core.engine import RuntimeExecutor, UseCaseCompiler
from loom.core.engine.generated import GeneratedExecutors
from bench import synthetic
classes = []
for index in range(synthetic.MODULES):
    module = importlib.import_module(f"{synthetic.PACKAGE}.m{{index:03d}}")
    classes.extend(getattr(module, name) for name in synthetic.use_case_names(index))
compiler = UseCaseCompiler()
t0 = time.perf_counter()
plans = [compiler.compile(cls) for cls in classes]
t1 = time.perf_counter()
registry = GeneratedExecutors({synthetic.OUTPUT_PACKAGE!r})
verified = sum(isinstance(registry.registered(plan), tuple) for plan in plans)
t2 = time.perf_counter()
executor = RuntimeExecutor(compiler, execution_mode="generated", generated_package={synthetic.OUTPUT_PACKAGE!r})
for cls in classes:
    executor.prepare(cls)
t3 = time.perf_counter()
generated = sum(executor.uses_generated(cls) for cls in classes)
print(json.dumps({{"compile_ms": (t1 - t0) * 1e3, "verify_ms": (t2 - t1) * 1e3,
                  "prepare_ms": (t3 - t2) * 1e3, "use_cases": len(classes),
                  "verified": verified, "generated": generated}}))
"""


def startup() -> dict[str, float]:
    """Runtime startup in a fresh process (run twice: the first writes the .pyc files)."""
    result: dict[str, float] = {}
    for _ in range(2):
        done = subprocess.run(
            [sys.executable, "-c", STARTUP],
            cwd=PROJECT,
            env=environment(),
            capture_output=True,
            text=True,
        )
        if done.returncode != 0:
            raise RuntimeError(f"startup measurement failed:\n{done.stderr}")
        result = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def edit_once(step: int) -> None:
    """A realistic edit of one use case in ``m042``: add or drop a rule."""
    text = EDITED.read_text(encoding="utf-8")
    marker = "class RenameUser042_"
    head, found, tail = text.partition(marker)
    assert found, "the synthetic module changed shape"
    number, _, body = tail.partition("(")
    old = "    rules = [steps.name_not_blank, steps.email_has_at]\n"
    new = "    rules = [steps.name_not_blank, steps.email_has_at, steps.name_not_blank]\n"
    body = body.replace(old, new, 1) if step % 2 == 0 else body.replace(new, old, 1)
    EDITED.write_text(head + found + number + "(" + body, encoding="utf-8")


def black_alone() -> tuple[tuple[float, float], int, int]:
    """Format a copy of the finished generated package with black alone, with an
    empty black cache: (wall, CPU), files, files black reformatted."""
    # Outside the repository: black skips what .gitignore lists (.bench/ is).
    scratch = Path(tempfile.mkdtemp(prefix="loom-black-alone-"))
    try:
        shutil.copytree(OUTPUT, scratch / "out", ignore=shutil.ignore_patterns("__pycache__"))
        files = sum(1 for _ in (scratch / "out").rglob("*.py"))
        env = {**environment(), "BLACK_CACHE_DIR": str(scratch / "black-cache")}
        wall, report = run_output(
            [
                sys.executable,
                *("-m", "black", "--fast", "-l", "100", "-t", "py311"),
                str(scratch / "out"),
            ],
            cwd=scratch,
            env=env,
        )
        cpu = LAST_CPU[0]
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    done = re.search(r"(\d+) files? reformatted", report)
    return (wall, cpu), files, int(done.group(1)) if done else 0


def measure(log: "Log") -> BuildFigures:
    synthetic.write_project(PROJECT)
    for folder in (OUTPUT, CACHE):
        shutil.rmtree(folder, ignore_errors=True)
    log(
        f"synthetic project: {synthetic.MODULES * synthetic.PER_MODULE} use cases in"
        f" {synthetic.MODULES} modules at {PROJECT.relative_to(ROOT)}"
    )
    run([sys.executable, "-m", "loomgen", "--version"])  # writes loomgen's own .pyc files
    run([sys.executable, "-m", "black", "--version"])

    # A cold build and black alone each take several seconds and swing with the
    # machine's state; measured in alternation, COLD_REPEATS times, medians kept.
    colds: list[tuple[float, float]] = []
    blacks: list[tuple[float, float]] = []
    files = reformatted = 0
    for repeat in range(1, COLD_REPEATS + 1):
        for folder in (OUTPUT, CACHE):
            shutil.rmtree(folder, ignore_errors=True)
        log(f"cold build (empty cache, no output), {repeat} of {COLD_REPEATS} ...")
        colds.append((loomgen("build"), LAST_CPU[0]))
        log(f"  {colds[-1][0]:.1f} s wall, {colds[-1][1]:.1f} s CPU")
        log(f"black alone on a copy of the finished package, {repeat} of {COLD_REPEATS} ...")
        (black_wall, black_cpu), files, reformatted = black_alone()
        blacks.append((black_wall, black_cpu))
        log(
            f"  {black_wall:.1f} s wall, {black_cpu:.1f} s CPU;"
            f" black reformatted {reformatted} of {files} files"
        )
    cold = median([wall for wall, _ in colds])
    cold_cpu = median([cpu for _, cpu in colds])
    black = median([wall for wall, _ in blacks])
    black_cpu = median([cpu for _, cpu in blacks])
    before = mtimes()
    noop = [loomgen("build") for _ in range(3)]
    noop_moved = moved(before, mtimes())
    log(
        f"no-op rebuilds: {', '.join(f'{t:.2f}' for t in noop)} s; files rewritten: {noop_moved or 'none'}"
    )

    edits: list[float] = []
    edit_moved: list[list[str]] = []
    for step in range(3):
        before = mtimes()
        edit_once(step)
        edits.append(loomgen("build"))
        edit_moved.append(moved(before, mtimes()))
    log(f"one-module edits: {', '.join(f'{t:.2f}' for t in edits)} s; rewritten: {edit_moved[0]}")
    edit_once(3)  # back to the original text
    loomgen("build")

    log("runtime startup ...")
    figures = startup()
    log(
        f"  registry + fingerprints {figures['verify_ms']:.1f} ms; full prepare"
        f" {figures['prepare_ms']:.1f} ms; plans compiled before: {figures['compile_ms']:.1f} ms"
    )
    log("production start: prepare_all in generated and interpreted mode, alternated ...")
    production = production_start.measure(str(PROJECT), environment())
    log(
        f"  generated {production.generated.startup_ms:.1f} ms, interpreted"
        f" {production.interpreted.startup_ms:.1f} ms; ratios"
        f" {', '.join(f'{r:.2f}' for r in production.ratios)}"
    )
    return BuildFigures(
        production=production,
        cold=cold,
        cold_cpu=cold_cpu,
        black=black,
        black_cpu=black_cpu,
        black_files=files,
        black_reformatted=reformatted,
        noop=noop,
        noop_moved=noop_moved,
        edits=edits,
        edit_moved=edit_moved,
        startup_verify_ms=figures["verify_ms"],
        startup_prepare_ms=figures["prepare_ms"],
        startup_compile_ms=figures["compile_ms"],
        startup_use_cases=int(figures["use_cases"]),
        startup_generated=int(min(figures["generated"], figures["verified"])),
    )


class Log:
    def __call__(self, line: str) -> None:
        print(f"  . {line}", flush=True)


def median(values: list[float]) -> float:
    return statistics.median(values)
