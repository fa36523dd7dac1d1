"""Production start on the synthetic project: generated against interpreted mode.

Each figure comes from a fresh ``python`` process in the synthetic project's
folder (bytecode cached: one warm-up process per mode writes the ``.pyc``
files first). The process imports the 100 use case modules, then measures, in
CPU time of the process (other jobs on the machine do not inflate it):

* **start-up**: ``RuntimeExecutor(...)`` and ``prepare_all`` of the 1,000
  classes, which in ``generated`` mode includes importing the generated
  registry (``interpreted`` mode compiles every plan there);
* **deferred checks** (``generated`` mode only): what ``prepare_all`` left to
  each class's first call, for all classes at once through
  ``prepared_classes()``: compiling the plan, the fingerprint, importing the
  executor's module and the identity checks;
* **resident memory**: the process's resident set (``/proc/self/statm``;
  ``ru_maxrss`` elsewhere) after importing the use case modules, after
  start-up and after the deferred checks.

The modes alternate, :data:`REPEATS` times each; medians are kept.
"""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
from dataclasses import dataclass

REPEATS = 3

SCRIPT = """
import importlib, json, resource, sys, time
from loom.core.engine import RuntimeExecutor, UseCaseCompiler
from bench import synthetic
mode = sys.argv[1]
classes = []
for index in range(synthetic.MODULES):
    module = importlib.import_module(f"{synthetic.PACKAGE}.m{index:03d}")
    classes.extend(getattr(module, name) for name in synthetic.use_case_names(index))
def rss():
    try:  # resident now (Linux); a peak (ru_maxrss) would keep the imports' high-water mark
        with open("/proc/self/statm") as statm:
            return int(statm.read().split()[1]) * resource.getpagesize() / 2**20
    except OSError:
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
imported = rss()
t0 = time.process_time()
executor = RuntimeExecutor(
    UseCaseCompiler(), execution_mode=mode, generated_package=synthetic.OUTPUT_PACKAGE
)
executor.prepare_all(classes)
t1 = time.process_time()
started = rss()
prepared = executor.prepared_classes()
t2 = time.process_time()
print(json.dumps({
    "startup_ms": (t1 - t0) * 1e3,
    "checks_ms": (t2 - t1) * 1e3,
    "rss_imported_mb": imported,
    "rss_started_mb": started,
    "rss_checked_mb": rss(),
    "use_cases": len(classes),
    "generated": sum(p.generated for p in prepared.values()),
}))
"""


@dataclass
class ModeFigures:
    startup_ms: float
    checks_ms: float
    rss_imported_mb: float
    rss_started_mb: float
    rss_checked_mb: float
    use_cases: int
    generated: int


@dataclass
class StartupFigures:
    generated: ModeFigures
    interpreted: ModeFigures
    ratios: list[float]
    """generated / interpreted start-up of each alternation."""

    @property
    def ratio(self) -> float:
        return self.generated.startup_ms / self.interpreted.startup_ms


def run_once(mode: str, cwd: str, env: dict[str, str]) -> dict[str, float]:
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT, mode], cwd=cwd, env=env, capture_output=True, text=True
    )
    if done.returncode != 0:
        raise RuntimeError(f"start-up measurement ({mode}) failed:\n{done.stderr}")
    figures: dict[str, float] = json.loads(done.stdout.strip().splitlines()[-1])
    return figures


def measure(cwd: str, env: dict[str, str], repeats: int = REPEATS) -> StartupFigures:
    """Alternate the modes ``repeats`` times (after a warm-up of each); medians."""
    modes = ("interpreted", "generated")
    for mode in modes:
        run_once(mode, cwd, env)
    runs: dict[str, list[dict[str, float]]] = {mode: [] for mode in modes}
    for _ in range(repeats):
        for mode in modes:
            runs[mode].append(run_once(mode, cwd, env))

    def medians(mode: str) -> ModeFigures:
        rows = runs[mode]
        return ModeFigures(
            **{
                name: statistics.median(row[name] for row in rows)
                for name in ("startup_ms", "checks_ms")
                + ("rss_imported_mb", "rss_started_mb", "rss_checked_mb")
            },
            use_cases=int(rows[0]["use_cases"]),
            generated=int(min(row["generated"] for row in rows)),
        )

    ratios = [
        gen["startup_ms"] / interp["startup_ms"]
        for gen, interp in zip(runs["generated"], runs["interpreted"], strict=True)
    ]
    return StartupFigures(medians("generated"), medians("interpreted"), ratios)
