"""Crash safety: ``loomgen build`` killed at any point leaves a usable package.

A source package of a few modules is built once in its *old* version;
its sources are then switched to the *new* version (loads with another
``profile``, extra rules, one module deleted, one added, one unchanged).
Each run copies the pristine old output to a folder of its own, starts
``loomgen build`` for the new sources on it, and kills it:

* **injected**: a driver process imports loomgen once and forks one child
  per run; the child wraps ``os.replace``/``os.unlink``/``os.rmdir`` and calls
  ``os._exit`` just before, or just after, the N-th of them, then runs
  ``loomgen.cli.main(["build", ...])``. Every N is tried, so every file
  write, deletion and the manifest write are each interrupted on both sides
  (over the old build, and for a first build into an empty folder);
* **random**: ``python -m loomgen build`` gets ``SIGKILL`` after a random
  delay spread over the whole build (30 runs, fixed seed).

After every kill: each file is byte for byte its old or its new version (or
absent where the old or the new build has none), the manifest is the old or
the new one, no stray ``*.py`` appeared, the registry imports and so does
every module it names whose source still exists, and a following build
repairs everything (``loomgen check`` exits 0, the tree is exactly ``B``).

The runtime side (:func:`test_regression_a_killed_build_never_runs_stale_code`)
asks, after every injected kill, whether any use case runs old code: it
currently does (see the test's docstring).
"""

from __future__ import annotations

import asyncio
import importlib
import importlib.util
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from loom.core.engine import GeneratedCodeError, RuntimeExecutor, UseCaseCompiler
from loomgen.cli import main as loomgen_main
from loomgen.build import generate
from loomgen.discover import discover
from loomgen.emit import check_package, write_package
from tests.tmp_project import TmpProject, chdir
from tests.support import RecordingLogger

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parents[2]

COMMON = "\n".join(
    [
        "from dataclasses import dataclass",
        "from typing import Any",
        "",
        "from loom.core.command import Command",
        "from loom.core.errors import RuleViolation",
        "from loom.core.use_case import Exists, Input, LoadById, UseCase",
        "",
        "",
        "@dataclass(frozen=True)",
        "class Item:",
        "    id: int",
        "    label: str",
        "",
        "",
        "class NoteCmd(Command):",
        '    note: str = ""',
        "",
        "",
        "def note_short(cmd: Any, fields_set: frozenset[str]) -> None:",
        "    if len(cmd.note) > 8:",
        '        raise RuleViolation("note", "is too long")',
        "",
        "",
        "def note_polite(cmd: Any, fields_set: frozenset[str]) -> None:",
        '    if "please" not in cmd.note:',
        '        raise RuleViolation("note", "say please")',
        "",
        "",
    ]
)


def module_source(index: int, *, profile: str, rules: str) -> str:
    return COMMON + "\n".join(
        [
            f"class Task{index}(UseCase[Item, Any]):",
            "    read_only = True",
            f"    rules = [{rules}]",
            "",
            "    async def execute(",
            "        self,",
            "        item_id: int,",
            "        cmd: NoteCmd = Input(),",
            f'        item: Item = LoadById(Item, by="item_id", profile="{profile}"),',
            f'        known: bool = Exists(Item, from_param="item_id", against="id"),',
            "    ) -> Any:",
            f"        return ({index}, item_id, cmd.note, item, known)",
            "",
        ]
    )


NEW_VERSION = {
    0: ("new", "note_short"),  # another profile: a shape change, same bound objects
    1: ("old", "note_short, note_polite"),  # one more rule
    2: ("new", "note_short, note_polite"),
    3: ("old", "note_short"),  # unchanged
    5: ("old", "note_polite"),  # only in the new version
}
OLD_VERSION = {i: ("old", "note_short") for i in (0, 1, 2, 3, 4)}  # 4: only in the old one


def sources(version: dict[int, tuple[str, str]]) -> dict[str, str]:
    return {
        f"m{i:02d}": module_source(i, profile=profile, rules=rules)
        for i, (profile, rules) in version.items()
    }


DRIVER = """\
import json, os, sys

from loomgen.cli import main

jobs = json.loads(sys.argv[1])
results = []
for job in jobs:
    pid = os.fork()
    if pid == 0:
        count = 0
        target, when = job["target"], job["when"]
        output = os.path.realpath(job["output"]) + os.sep

        def hooked(real):
            # Only operations on the generated package count (not the build cache's).
            def wrapper(*args, **kwargs):
                global count
                path = os.path.realpath(os.fspath(args[-1]))
                if not path.startswith(output):
                    return real(*args, **kwargs)
                count += 1
                if when == "before" and count == target:
                    os._exit(137)
                result = real(*args, **kwargs)
                if when == "after" and count == target:
                    os._exit(137)
                return result
            return wrapper

        os.replace = hooked(os.replace)
        os.unlink = hooked(os.unlink)
        os.rmdir = hooked(os.rmdir)
        code = main(job["argv"])
        if when == "count":
            sys.stdout.write(f"OPERATIONS {count}\\n")
            sys.stdout.flush()
        os._exit(code)
    _, status = os.waitpid(pid, 0)
    results.append(os.waitstatus_to_exitcode(status))
sys.stdout.write("RESULTS " + json.dumps(results) + "\\n")
"""


@dataclass
class Crashes:
    """The project, the two expected trees and the pristine old output."""

    project: TmpProject
    old: dict[str, bytes]
    new: dict[str, bytes]
    new_files: dict[str, str]
    """What ``loomgen build`` writes for the new sources (``generate``'s output)."""
    pristine: Path
    runs: Path
    counter: list[int] = field(default_factory=lambda: [0])

    def prepare_run(self, *, fresh: bool = False) -> tuple[str, Path]:
        """A new output folder holding the old build (or nothing); its package name and path.

        Every run's package has the same name (in a folder of its own), so the
        build cache, keyed by project root and package name, serves them all.
        """
        self.counter[0] += 1
        name = self.project.generated
        folder = self.runs / str(self.counter[0])
        folder.mkdir()
        if not fresh:
            shutil.copytree(self.pristine, folder / name)
        return name, folder / name

    def build_argv(self, output: Path) -> list[str]:
        return ["build", "-q", "--source", self.project.package, "--output", str(output)]


@dataclass(frozen=True)
class Killed:
    """One interrupted build: where it was stopped and what it left."""

    point: str
    name: str
    output: Path
    fresh: bool
    snapshot: tuple[str, Path] | None = None
    """A copy of the output as the kill left it, under another package name."""


def env() -> dict[str, str]:
    variables = {k: v for k, v in os.environ.items() if not k.startswith("LOOM_")}
    variables["PYTHONDONTWRITEBYTECODE"] = "1"
    variables["PYTHONPATH"] = str(REPO)
    return variables


def tree(folder: Path) -> dict[str, bytes]:
    if not folder.exists():
        return {}
    return {
        path.relative_to(folder).as_posix(): path.read_bytes()
        for path in sorted(folder.rglob("*"))
        if path.is_file() and "__pycache__" not in path.parts
    }


def run_jobs(crashes: Crashes, jobs: list[dict[str, Any]]) -> tuple[list[int], str]:
    """Run builds in forked children of one driver process; their exit codes and stdout."""
    done = subprocess.run(
        [sys.executable, "-c", DRIVER, json.dumps(jobs)],
        cwd=crashes.project.root,
        env=env(),
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    codes = json.loads(done.stdout.split("RESULTS ")[1])
    return codes, done.stdout


def inject_kills(crashes: Crashes, *, fresh: bool) -> list[Killed]:
    """Count the build's file operations, then kill one build just before and after each."""
    _, counted = crashes.prepare_run(fresh=fresh)
    codes, out = run_jobs(
        crashes,
        [
            {
                "target": 0,
                "when": "count",
                "output": str(counted),
                "argv": crashes.build_argv(counted),
            }
        ],
    )
    assert codes == [0]
    total = int(out.split("OPERATIONS ")[1].split()[0])
    assert tree(counted) == crashes.new
    assert total >= 7, total

    killed, jobs = [], []
    for target in range(1, total + 1):
        for when in ("before", "after"):
            name, output = crashes.prepare_run(fresh=fresh)
            killed.append(Killed(f"{when} operation {target}/{total}", name, output, fresh))
            jobs.append(
                {
                    "target": target,
                    "when": when,
                    "output": str(output),
                    "argv": crashes.build_argv(output),
                }
            )
    codes, _ = run_jobs(crashes, jobs)
    assert codes == [137] * len(jobs), codes
    snapshots = []
    for index, run in enumerate(killed):
        name = f"{run.name}_snapshot_{index}"
        copy = run.output.parent.parent / f"{run.output.parent.name}_snapshot" / name
        if run.output.exists():
            shutil.copytree(run.output, copy)
        snapshots.append(Killed(run.point, run.name, run.output, run.fresh, (name, copy)))
    return snapshots


@pytest.fixture(scope="module")
def crashes(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Crashes]:
    root = tmp_path_factory.mktemp("crash")
    project = TmpProject(root, "crashsrc")
    for module, text in sources(OLD_VERSION).items():
        project.write(module, text)
    project.build()
    pristine = root / "pristine"
    shutil.copytree(project.output, pristine)
    old = tree(pristine)
    for module in set(sources(OLD_VERSION)) - set(sources(NEW_VERSION)):
        project.remove(module)
    for module, text in sources(NEW_VERSION).items():
        project.write(module, text)
    project.build()
    new = tree(project.output)
    assert old != new
    found, _ = discover([project.package_dir], root=root)
    new_files = dict(generate(found, project.generated).files)
    runs = root / "runs"
    runs.mkdir()
    try:
        yield Crashes(project, old, new, new_files, pristine, runs)
    finally:
        project.forget()


@pytest.fixture(scope="module")
def killed_over_old(crashes: Crashes) -> list[Killed]:
    return inject_kills(crashes, fresh=False)


def assert_old_or_new(crashes: Crashes, killed: Killed) -> None:
    old = {} if killed.fresh else crashes.old
    new = crashes.new
    found = tree(killed.output)
    for rel, data in found.items():
        if rel.endswith((".loomgen-tmp", ".loomgen-old")):  # staged files and backups
            assert rel.rsplit("/", 1)[-1].startswith("."), rel  # hidden, never a module
            continue
        assert data in (old.get(rel), new.get(rel)), f"{killed.point}: {rel}: neither old nor new"
    for rel in set(old) & set(new):
        assert rel in found, f"{killed.point}: {rel}: existed before and after, gone after the kill"


def assert_imports(crashes: Crashes, killed: Killed) -> None:
    """The registry imports; so does every module it names whose source still exists."""
    name, output = killed.name, killed.output
    if not (output / "__init__.py").exists():
        return  # killed before the registry of a first build was written
    crashes.project.enter()  # the sources, which generated modules import
    sys.path.insert(0, str(output.parent))
    try:
        registry = importlib.import_module(name)
        for key, (module, _function, _fingerprint) in registry.EXECUTORS.items():
            source_module = key.partition(":")[0]
            if importlib.util.find_spec(source_module) is None:
                continue  # deleted in the new sources
            try:
                importlib.import_module(module, name)
            except ImportError as error:
                raise AssertionError(f"{killed.point}: {module}: {error}") from error
    finally:
        sys.path.remove(str(output.parent))
        for loaded in [m for m in sys.modules if m == name or m.startswith(name + ".")]:
            del sys.modules[loaded]
        importlib.invalidate_caches()


def assert_repaired(crashes: Crashes, killed: Killed, *, command_line: bool) -> None:
    """The next build leaves exactly the new tree, and ``check`` agrees.

    ``command_line`` runs the real ``loomgen build``/``check``; otherwise the
    emitter is called with the (pure, deterministic) generated files directly,
    which is what both commands do after generating.
    """
    output = killed.output
    if command_line:
        with chdir(crashes.project.root):
            assert loomgen_main(crashes.build_argv(output)) == 0
            check = ["check", "-q", "--source", crashes.project.package, "--output", str(output)]
            assert loomgen_main(check) == 0
    else:
        write_package(output, crashes.new_files)
        assert check_package(output, crashes.new_files) == [], killed.point
    assert tree(output) == crashes.new, killed.point


def test_a_build_killed_at_any_write_leaves_old_or_new_files(
    crashes: Crashes, killed_over_old: list[Killed]
) -> None:
    for index, killed in enumerate(killed_over_old):
        assert_old_or_new(crashes, killed)
        assert_imports(crashes, killed)
        assert_repaired(crashes, killed, command_line=index % 4 == 0)


def test_regression_a_killed_first_build_names_only_modules_that_exist(crashes: Crashes) -> None:
    """Regression (bug): a first build killed early leaves a registry naming missing modules.

    ``write_package`` writes created files in sorted order, so the registry
    ``__init__.py`` comes before the modules it names; killed in between, the
    package's registry points to modules that do not exist (the runtime then
    falls back with "cannot be loaded" warnings, or fails in ``generated``
    mode). Writing the registry after every module avoids it.
    """
    problems = []
    for index, killed in enumerate(inject_kills(crashes, fresh=True)):
        assert_old_or_new(crashes, killed)
        try:
            assert_imports(crashes, killed)
        except AssertionError as error:  # reported last, after the other checks
            problems.append(str(error))
        assert_repaired(crashes, killed, command_line=index % 4 == 0)
    assert problems == [], "\n".join(problems)


def test_a_build_killed_at_random_moments_leaves_old_or_new_files(crashes: Crashes) -> None:
    rng = random.Random(20261128)
    # How long a whole build takes here, to spread the kills over it.
    _, output = crashes.prepare_run()
    started = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "loomgen", *crashes.build_argv(output)],
        cwd=crashes.project.root,
        env=env(),
        check=True,
        timeout=120,
    )
    duration = time.perf_counter() - started
    outcomes = {"killed": 0, "finished": 0, "old": 0, "partial": 0, "new": 0}
    for run in range(30):
        name, output = crashes.prepare_run()
        process = subprocess.Popen(
            [sys.executable, "-m", "loomgen", *crashes.build_argv(output)],
            cwd=crashes.project.root,
            env=env(),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        # Startup and parsing come first: most kills land late, where the writes are.
        delay = duration * rng.uniform(0.6, 1.05)
        time.sleep(delay)
        process.send_signal(signal.SIGKILL)
        code = process.wait(timeout=60)
        outcomes["killed" if code == -signal.SIGKILL else "finished"] += 1
        # The first build ran with cold caches; later ones are faster. A build
        # that beat its kill says the estimate is too long: aim earlier.
        duration *= 1.02 if code == -signal.SIGKILL else 0.85
        killed = Killed(f"SIGKILL after {delay:.3f}s", name, output, fresh=False)
        left = {rel: data for rel, data in tree(output).items() if not rel.endswith("-tmp")}
        outcomes["old" if left == crashes.old else "new" if left == crashes.new else "partial"] += 1
        assert_old_or_new(crashes, killed)
        assert_imports(crashes, killed)
        assert_repaired(crashes, killed, command_line=run % 5 == 0)
    print("random kills:", outcomes)
    assert outcomes["killed"] >= 10, outcomes


# -- the runtime after a crash --------------------------------------------------------------


class Items:
    """An item repository whose entities say which profile loaded them."""

    def __init__(self) -> None:
        self.calls: list[tuple[Any, ...]] = []

    async def get_by_id(self, value: Any, *, profile: str) -> Any:
        self.calls.append(("get_by_id", value, profile))
        return (value, profile) if value != 404 else None

    async def exists_by(self, field: str, value: Any) -> bool:
        self.calls.append(("exists_by", field, value))
        return bool(value != 404)


REQUESTS: list[tuple[dict[str, Any], dict[str, Any]]] = [
    ({"item_id": "7"}, {"note": "please"}),
    ({"item_id": 1}, {"note": "no"}),
    ({"item_id": 404}, {"note": "please"}),
    ({"item_id": 2}, {"note": "a long note, please"}),
]


async def outcomes(executor: RuntimeExecutor, use_case: Any, item_type: type[Any]) -> list[Any]:
    items = Items()
    seen: list[Any] = []
    for params, payload in REQUESTS:
        try:
            result = await executor.execute(
                use_case, params=params, payload=payload, dependencies={item_type: items}
            )
        except Exception as error:  # noqa: BLE001 - compared across modes
            seen.append((type(error).__name__, str(error)))
        else:
            seen.append(result)
    return [seen, items.calls]


def test_regression_a_killed_build_never_runs_stale_code(
    crashes: Crashes, killed_over_old: list[Killed]
) -> None:
    """Regression (bug): after a kill, the runtime may run the old code.

    ``emit.write_package`` replaces ``__init__.py`` (the registry, which holds
    the fingerprints) before the modules it points to. Killed in between, the
    package has the new registry next to old modules: the fingerprint matches
    the live plan, the old module binds the same objects, and the old code
    runs, loading with ``profile="old"`` where the source says ``"new"``, in
    ``auto`` and even in ``generated`` mode. Fix: record each use case's
    fingerprint in its own module (and have the runtime compare it), and/or
    write the registry last among the package files (before the manifest).
    """
    project = crashes.project
    modules = {name: project.import_module(name) for name in sources(NEW_VERSION)}
    use_cases = [(getattr(m, f"Task{int(name[1:])}"), m.Item) for name, m in modules.items()]

    async def reference() -> dict[str, Any]:
        interpreter = RuntimeExecutor(
            UseCaseCompiler(logger=RecordingLogger()),
            logger=RecordingLogger(),
            execution_mode="interpreted",
        )
        return {uc.__name__: await outcomes(interpreter, uc(), item) for uc, item in use_cases}

    expected = asyncio.run(reference())
    stale: list[str] = []
    for killed in killed_over_old:
        # The copy taken right after the kill: the other tests repair the originals.
        assert killed.snapshot is not None
        name, copy = killed.snapshot
        sys.path.insert(0, str(copy.parent))
        try:

            async def check(name: str = name, point: str = killed.point) -> None:
                for mode in ("auto", "generated"):
                    executor = RuntimeExecutor(
                        UseCaseCompiler(logger=RecordingLogger()),
                        logger=RecordingLogger(),
                        execution_mode=mode,
                        generated_package=name,
                    )
                    for use_case, item in use_cases:
                        try:
                            executor.prepare(use_case)
                        except GeneratedCodeError:
                            assert mode == "generated"
                            continue
                        got = await outcomes(executor, use_case(), item)
                        if got != expected[use_case.__name__]:
                            stale.append(f"{point}: {mode}: {use_case.__name__}")

            asyncio.run(check())
        finally:
            sys.path.remove(str(copy.parent))
            for loaded in [m for m in sys.modules if m == name or m.startswith(name + ".")]:
                del sys.modules[loaded]
    assert stale == [], "old generated code ran after a killed build:\n" + "\n".join(stale)
