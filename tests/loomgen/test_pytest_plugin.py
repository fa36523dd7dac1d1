"""The pytest plugin (``loomgen.pytest_plugin``), run with pytester on throw-away projects.

Each project lives in pytester's temporary folder, outside this repository's
packages: an application package ``shopapp`` and a test suite written the way
loom-kernel users write theirs, with use cases at module level (in the app and
in the test module) and inside test functions. Most runs are in-process
(pytester restores ``sys.modules`` and ``sys.path`` afterwards; the plugin
restores the environment itself, which is checked too); the run that checks
what a session without the plugin imports is a subprocess.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

from loom.core.engine import RuntimeExecutor, UseCaseCompiler, observe
from loom.core.use_case import UseCase
from loomgen.cli import main as loomgen_main
from loomgen.pytest_plugin import LoomSession

pytest_plugins = ["pytester"]

PYPROJECT = """
[tool.loomgen]
sources = ["shopapp", "tests"]
output = "{output}"

[tool.pytest.ini_options]
asyncio_mode = "auto"
asyncio_default_fixture_loop_scope = "function"
pythonpath = ["."]
testpaths = ["tests"]
{extra}
"""

APP = """
from loom.core.use_case import UseCase


class Double(UseCase[int, int]):
    async def execute(self, n: int) -> int:
        return 2 * n
"""

# A suite in loom-kernel style: one executor per test, use cases imported from
# the app, declared at module level in the test module, and declared inside a
# test function. Each test also says which way its class ran.
USER_SUITE = """
import os

from loom.core.engine import RuntimeExecutor, UseCaseCompiler
from loom.core.use_case import UseCase

from shopapp.usecases import Double

GENERATED = os.environ.get("LOOM_EXECUTION_MODE") == "generated"


class Triple(UseCase[int, int]):
    async def execute(self, n: int) -> int:
        return 3 * n


async def test_app_use_case() -> None:
    executor = RuntimeExecutor(UseCaseCompiler())
    assert await executor.execute(Double(), params={"n": 2}) == 4
    assert executor.uses_generated(Double) is GENERATED


async def test_use_case_in_test_module() -> None:
    executor = RuntimeExecutor(UseCaseCompiler())
    assert await executor.execute(Triple(), params={"n": 2}) == 6
    assert executor.uses_generated(Triple) is GENERATED


async def test_use_case_inside_function() -> None:
    class Square(UseCase[int, int]):
        async def execute(self, n: int) -> int:
            return n * n

    executor = RuntimeExecutor(UseCaseCompiler())
    assert await executor.execute(Square(), params={"n": 3}) == 9
    assert not executor.uses_generated(Square)
"""

MODULE_LEVEL_SUITE = USER_SUITE.split("\n\n\nasync def test_use_case_inside_function")[0] + "\n"


def make_project(
    pytester: pytest.Pytester,
    *,
    suite: str = USER_SUITE,
    output: str = "shopapp_generated",
    extra: str = "",
    app: str = APP,
) -> Path:
    pytester.makefile(".toml", pyproject=PYPROJECT.format(output=output, extra=extra))
    package = pytester.mkpydir("shopapp")
    (package / "usecases.py").write_text(app)
    tests = pytester.mkdir("tests")
    (tests / "test_shop.py").write_text(suite)
    return pytester.path


def summary_lines(result: pytest.RunResult) -> list[str]:
    return [line for line in result.outlines if line.startswith("loom --loom-mode=")]


@pytest.fixture(autouse=True)
def _environment_restored() -> object:
    """Every in-process session leaves the environment and the recorder as it found them."""
    before = {name: os.environ.get(name) for name in ("LOOM_EXECUTION_MODE", "LOOM_GENERATED")}
    recorder = observe.recorder
    path = list(sys.path)
    yield None
    after = {name: os.environ.get(name) for name in before}
    assert after == before
    assert observe.recorder is recorder
    assert sys.path == path


@pytest.fixture(autouse=True)
def _outer_generated_package_hidden(monkeypatch: pytest.MonkeyPatch) -> None:
    """Each in-process session stands for a fresh one: a ``generated`` package this session
    imported earlier (the repository's own, which executors in ``auto`` mode import) must not
    answer the project's ``import generated``. Put back afterwards."""
    for name in [name for name in sys.modules if name.partition(".")[0] == "generated"]:
        monkeypatch.delitem(sys.modules, name)


# -- off unless asked ------------------------------------------------------------------


def test_off_by_default_imports_and_prints_nothing(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    make_project(
        pytester,
        suite="""
import os
import sys

def test_plain(request):
    assert request.config.pluginmanager.hasplugin("loom")
    heavy = sorted(
        name
        for name in (
            "libcst", "jinja2", "black", "pydantic", "loom.core", "loomgen.build", "loomgen.config"
        )
        if name in sys.modules
    )
    assert heavy == []
    assert "LOOM_EXECUTION_MODE" not in os.environ
    assert not request.config.pluginmanager.has_plugin("loom-session")
""",
    )
    monkeypatch.delenv("LOOM_EXECUTION_MODE", raising=False)
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider")
    result.assert_outcomes(passed=1)
    assert summary_lines(result) == []
    result.stdout.no_fnmatch_line("*loom: --loom-mode*")


# -- generated mode --------------------------------------------------------------------


def test_generated_mode_runs_module_level_use_cases_generated(pytester: pytest.Pytester) -> None:
    make_project(pytester)
    result = pytester.runpytest("--loom-mode=generated")
    # A class defined inside a test function is invisible to any build: it
    # runs interpreted (with a generated_fallback event), and the test passes.
    result.assert_outcomes(passed=3)
    assert summary_lines(result) == [
        "loom --loom-mode=generated: 2 use case classes ran generated, 1 interpreted"
        " (1 defined inside a function, where no build can see it)"
    ]
    result.stdout.fnmatch_lines(
        ["loom: --loom-mode=generated: 2 generated executors in */shopapp_generated (0 build*"]
    )
    # The build went to a temporary folder, never into the project.
    assert not (pytester.path / "shopapp_generated").exists()


def test_generated_mode_uses_the_fresh_build_over_a_stale_committed_package(
    pytester: pytest.Pytester,
) -> None:
    root = make_project(pytester, output="generated", suite=MODULE_LEVEL_SUITE)
    old = os.getcwd()
    os.chdir(root)
    try:
        assert loomgen_main(["build", "-q"]) == 0
    finally:
        os.chdir(old)
    committed = {p: p.read_bytes() for p in (root / "generated").rglob("*.py")}
    # Change the app's use case so the committed executor no longer fits it.
    (root / "shopapp" / "usecases.py").write_text(APP.replace("self, n: int)", "self, n: float)"))
    # A conftest at the root puts the root (and its stale ``generated``) first on sys.path.
    (root / "conftest.py").write_text("")

    result = pytester.runpytest("--loom-mode=generated")
    result.assert_outcomes(passed=2)
    assert summary_lines(result) == [
        "loom --loom-mode=generated: 2 use case classes ran generated, 0 interpreted"
    ]
    assert {p: p.read_bytes() for p in (root / "generated").rglob("*.py")} == committed

    # In auto mode the committed package is used, as in production: the stale
    # executor falls back to the interpreter, and the summary says why.
    result = pytester.runpytest("--loom-mode=auto", "-k", "app_use_case")
    result.assert_outcomes(failed=0, passed=1, deselected=1)
    [line] = summary_lines(result)
    assert line.startswith(
        "loom --loom-mode=auto: 0 use case classes ran generated, 1 interpreted (1 generated"
        " executor for <use case> is stale: "
    )


TWO_INPUTS = """

from loom.core.command import Command
from loom.core.use_case import Input


class Cmd(Command):
    name: str


class TwoInputs(UseCase[int, int]):
    async def execute(self, first: Cmd = Input(), second: Cmd = Input()) -> int:
        return 0
"""


def test_a_failed_build_stops_the_session_with_the_diagnostics(
    pytester: pytest.Pytester,
) -> None:
    make_project(pytester, app=APP + TWO_INPUTS)
    result = pytester.runpytest("--loom-mode=generated")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(
        [
            "ERROR: loom: generated mode: loomgen build of * failed with 1 error:",
            "  shopapp/usecases.py:*: error: *",
        ]
    )
    assert summary_lines(result) == []


def test_configuration_errors_are_usage_errors(pytester: pytest.Pytester) -> None:
    make_project(pytester)
    pyproject = pytester.path / "pyproject.toml"
    pyproject.write_text(pyproject.read_text().replace('sources = ["shopapp", "tests"]\n', ""))
    result = pytester.runpytest("--loom-mode=generated")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    assert (
        "ERROR: loom: generated mode: pyproject.toml: [tool.loomgen]:"
        " key 'sources' is missing" in result.stderr.str()
    )


def test_executors_made_while_conftests_are_imported_are_pointed_at_the_build(
    pytester: pytest.Pytester,
) -> None:
    make_project(
        pytester,
        suite="""
from conftest import EXECUTOR
from shopapp.usecases import Double


async def test_conftest_executor() -> None:
    assert await EXECUTOR.execute(Double(), params={"n": 4}) == 8
    assert EXECUTOR.mode == "generated"
    assert EXECUTOR.uses_generated(Double)
""",
    )
    (pytester.path / "tests" / "conftest.py").write_text(
        "from loom.core.engine import RuntimeExecutor, UseCaseCompiler\n\n"
        "EXECUTOR = RuntimeExecutor(UseCaseCompiler())\n"
    )
    result = pytester.runpytest("--loom-mode=generated")
    result.assert_outcomes(passed=1)


DECORATED = """

def traced(method):
    return method


class Traced(UseCase[int, int]):
    @traced
    async def execute(self, n: int) -> int:
        return n
"""


def test_build_warnings_are_counted_in_the_header_and_listed_with_verbose(
    pytester: pytest.Pytester,
) -> None:
    make_project(pytester, app=APP + DECORATED, suite=MODULE_LEVEL_SUITE)
    result = pytester.runpytest("--loom-mode=generated")
    result.assert_outcomes(passed=2)
    result.stdout.fnmatch_lines(
        ["loom: --loom-mode=generated: 2 generated executors in * (1 build warning)"]
    )
    result.stdout.no_fnmatch_line("  shopapp/usecases.py:*: warning: *")
    result = pytester.runpytest("--loom-mode=generated", "-v")
    result.stdout.fnmatch_lines(
        [
            "loom: --loom-mode=generated: 2 generated executors in * (1 build warning)",
            "  shopapp/usecases.py:*: warning: *execute() is decorated*",
        ]
    )


def test_fixture_fails_its_generated_tests_when_the_build_fails(
    pytester: pytest.Pytester,
) -> None:
    make_project(pytester, suite=FIXTURE_SUITE, app=APP + TWO_INPUTS)
    result = pytester.runpytest()
    result.assert_outcomes(passed=1, errors=1)
    result.stdout.fnmatch_lines(["*loom: generated mode: loomgen build of * failed with 1 error:*"])


# -- the other modes, the ini value ------------------------------------------------------


def test_auto_mode_reports_use_cases_defined_inside_functions(pytester: pytest.Pytester) -> None:
    make_project(pytester, output="generated")
    result = pytester.runpytest("--loom-mode=auto", "-k", "inside_function")
    result.assert_outcomes(passed=1, deselected=2)
    assert summary_lines(result) == [
        "loom --loom-mode=auto: 0 use case classes ran generated, 1 interpreted"
        " (1 defined inside a function, where no build can see it)"
    ]


def test_ini_value_turns_the_plugin_on(pytester: pytest.Pytester) -> None:
    make_project(pytester, extra='loom_mode = "interpreted"')
    result = pytester.runpytest()
    result.assert_outcomes(passed=3)
    assert summary_lines(result) == [
        "loom --loom-mode=interpreted: 0 use case classes ran generated, 3 interpreted"
        " (3 interpreted mode)"
    ]
    # The command line wins over the ini value.
    result = pytester.runpytest("--loom-mode=generated", "-k", "not inside_function")
    result.assert_outcomes(passed=2, deselected=1)
    assert summary_lines(result) == [
        "loom --loom-mode=generated: 2 use case classes ran generated, 0 interpreted"
    ]


def test_an_unknown_ini_value_is_a_usage_error(pytester: pytest.Pytester) -> None:
    make_project(pytester, extra='loom_mode = "compiled"')
    result = pytester.runpytest()
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["ERROR: loom_mode = 'compiled' in the ini file is not a mode*"])


# -- the fixture -----------------------------------------------------------------------------


FIXTURE_SUITE = """
from loom.core.engine import RuntimeExecutor, UseCaseCompiler

from shopapp.usecases import Double


async def test_double(loom_executor_mode: str) -> None:
    executor = RuntimeExecutor(UseCaseCompiler())
    assert executor.mode == loom_executor_mode
    assert await executor.execute(Double(), params={"n": 5}) == 10
    assert executor.uses_generated(Double) is (loom_executor_mode == "generated")
"""


def test_fixture_runs_each_test_once_per_mode_without_the_option(
    pytester: pytest.Pytester,
) -> None:
    make_project(pytester, suite=FIXTURE_SUITE)
    result = pytester.runpytest("-v")
    result.assert_outcomes(passed=2)
    result.stdout.fnmatch_lines(
        ["*test_double?interpreted? PASSED*", "*test_double?generated? PASSED*"]
    )
    assert summary_lines(result) == []


def test_fixture_in_a_generated_session_shares_its_build(pytester: pytest.Pytester) -> None:
    make_project(pytester, suite=FIXTURE_SUITE)
    result = pytester.runpytest("--loom-mode=generated")
    result.assert_outcomes(passed=2)
    assert summary_lines(result) == [
        "loom --loom-mode=generated: 1 use case class ran generated, 1 interpreted"
        " (1 interpreted mode); 1 class ran both ways and counted once in each"
    ]


FIXTURE_THEN_AUTO_SUITE = """
from pathlib import Path

import generated

from loom.core.engine import RuntimeExecutor, UseCaseCompiler

from shopapp.usecases import Double


async def test_double(loom_executor_mode: str) -> None:
    executor = RuntimeExecutor(UseCaseCompiler())
    assert await executor.execute(Double(), params={"n": 5}) == 10
    assert executor.uses_generated(Double) is (loom_executor_mode == "generated")


async def test_after_the_fixture_auto_uses_the_committed_package_again() -> None:
    import generated as now

    assert Path(now.__file__).parent == Path(__file__).parents[1] / "generated"
    assert now is generated
    executor = RuntimeExecutor(UseCaseCompiler())
    assert await executor.execute(Double(), params={"n": 5}) == 10
    assert not executor.uses_generated(Double)  # the committed executor is stale
"""


def test_the_fixture_does_not_mask_the_committed_package_in_auto_mode(
    pytester: pytest.Pytester,
) -> None:
    root = make_project(pytester, output="generated", suite=FIXTURE_THEN_AUTO_SUITE)
    old = os.getcwd()
    os.chdir(root)
    try:
        assert loomgen_main(["build", "-q"]) == 0
    finally:
        os.chdir(old)
    # The committed executor no longer fits the app's class: production would interpret it.
    (root / "shopapp" / "usecases.py").write_text(APP.replace("self, n: int)", "self, n: float)"))
    (root / "conftest.py").write_text("")

    result = pytester.runpytest("--loom-mode=auto")
    result.assert_outcomes(passed=3)
    [line] = summary_lines(result)
    assert line.startswith(
        "loom --loom-mode=auto: 1 use case class ran generated, 1 interpreted"
        " (1 generated executor for <use case> is stale: "
    )
    assert line.endswith("; 1 interpreted mode); 1 class ran both ways and counted once in each")


# -- the runtime's recorder ----------------------------------------------------------------


class Halve(UseCase[int, int]):
    async def execute(self, n: int) -> int:
        return n // 2


def test_recorder_sees_each_prepare_only_while_installed() -> None:
    assert observe.recorder is None
    RuntimeExecutor(UseCaseCompiler(), execution_mode="interpreted").prepare(Halve)
    outer = observe.start_recording()
    inner = observe.start_recording()
    try:
        RuntimeExecutor(UseCaseCompiler(), execution_mode="interpreted").prepare(Halve)
        RuntimeExecutor(
            UseCaseCompiler(), execution_mode="auto", generated_package="no_such_package_here"
        ).prepare(Halve)
    finally:
        observe.stop_recording(inner)
    assert observe.recorder is outer
    observe.stop_recording(outer)
    assert observe.recorder is None
    key = f"{__name__}:Halve"
    assert outer.decisions == []
    assert inner.decisions == [
        observe.Decision(key, False, observe.INTERPRETED_MODE),
        observe.Decision(key, False, "generated package 'no_such_package_here' is not importable"),
    ]


def test_summary_groups_reasons_and_counts_classes_once() -> None:
    session = LoomSession.__new__(LoomSession)
    session.mode = "auto"
    session.generated_errors = set()
    session.recorder = observe.Recorder()
    session.recorder.record("m:A", True)
    session.recorder.record("m:A", True)
    session.recorder.record("m:B", False, "no generated executor for m:B in gen")
    session.recorder.record("m:C", False, "no generated executor for m:C in gen")
    session.recorder.record("m:C.Inner", False, "C.Inner is stale: C.Inner changed")
    assert session.summary() == (
        "loom --loom-mode=auto: 1 use case class ran generated, 3 interpreted"
        " (2 no generated executor for <use case> in gen;"
        " 1 <use case> is stale: <use case> changed)"
    )
    # A class that ran both ways (the loom_executor_mode fixture) counts once in each.
    session.recorder.record("m:B", True)
    session.recorder.record("m:C", True)
    assert session.summary() == (
        "loom --loom-mode=auto: 3 use case classes ran generated, 3 interpreted"
        " (2 no generated executor for <use case> in gen;"
        " 1 <use case> is stale: <use case> changed); 2 classes ran both ways and counted"
        " once in each"
    )
