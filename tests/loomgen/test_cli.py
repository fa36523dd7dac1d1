"""The loomgen command line, with generation stubbed out."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

import pytest

from loomgen import build
from loomgen.build import BuildResult
from loomgen.cli import main
from loomgen.config import ConfigError
from loomgen.diagnostics import Diagnostic, Severity
from loomgen.discover import SourceFile
from loomgen.emit import MANIFEST

REPO = Path(__file__).resolve().parents[2]

FILES = {"__init__.py": "", "app/__init__.py": "", "app/orders.py": "ORDERS = 1\n"}


class FakeGenerate:
    """Stands in for ``loomgen.build.generate``; records what it was given."""

    def __init__(self) -> None:
        self.files: dict[str, str] = dict(FILES)
        self.diagnostics: list[Diagnostic] = []
        self.calls: list[tuple[list[str], str]] = []

    def __call__(self, sources: Sequence[SourceFile], package: str) -> BuildResult:
        self.calls.append(([s.module for s in sources], package))
        return BuildResult(dict(self.files), list(self.diagnostics))


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    (tmp_path / "pyproject.toml").write_text(
        '[tool.loomgen]\nsources = ["app"]\noutput = "app/gen"\n'
    )
    for rel in ("app/__init__.py", "app/orders.py"):
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text("")
    monkeypatch.chdir(tmp_path)
    return tmp_path


@pytest.fixture
def fake(monkeypatch: pytest.MonkeyPatch) -> FakeGenerate:
    stub = FakeGenerate()
    monkeypatch.setattr(build, "generate", stub)
    return stub


def test_build_then_check(
    project: Path, fake: FakeGenerate, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["build"]) == 0
    out, err = capsys.readouterr()
    assert out == (
        "loomgen: app/gen: 3 created, 0 updated, 0 unchanged, 0 deleted\n"
        "loomgen: 0 use cases compiled, 0 left to the interpreter\n"  # a fake registry
    )
    assert err == ""
    assert (project / "app" / "gen" / "app" / "orders.py").read_text() == "ORDERS = 1\n"
    # The output folder inside the source folder is not read back as a source.
    assert fake.calls == [(["app", "app.orders"], "gen")]

    assert main(["check"]) == 0
    assert capsys.readouterr().out == "loomgen: app/gen is up to date\n"
    assert main(["check", "-q"]) == 0
    assert capsys.readouterr().out == ""

    assert main(["build"]) == 0
    assert "0 created, 0 updated, 3 unchanged, 0 deleted" in capsys.readouterr().out


def test_check_out_of_date_exits_1(
    project: Path, fake: FakeGenerate, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["check"]) == 1
    out, _ = capsys.readouterr()
    assert "missing: app/orders.py" in out

    main(["build", "-q"])
    (project / "app" / "gen" / "app" / "orders.py").write_text("edited\n")
    (project / "app" / "gen" / "stray.py").write_text("")
    capsys.readouterr()

    assert main(["check"]) == 1
    assert capsys.readouterr().out == (
        "loomgen: app/gen is out of date:\n"
        "  changed: app/orders.py\n"
        "  orphaned: stray.py\n"
        "run `loomgen build` to update it\n"
    )


def test_check_bad_config_exits_2_without_traceback(
    project: Path, fake: FakeGenerate, capsys: pytest.CaptureFixture[str]
) -> None:
    (project / "pyproject.toml").write_text('[tool.loomgen]\nsorces = ["app"]\n')

    assert main(["check"]) == 2

    out, err = capsys.readouterr()
    assert out == ""
    assert err == (
        "loomgen: error: pyproject.toml: [tool.loomgen]: unknown key 'sorces'; "
        "known keys: cache, output, sources, strict\n"
    )
    assert "Traceback" not in err


def test_debug_shows_the_traceback(project: Path, fake: FakeGenerate) -> None:
    (project / "pyproject.toml").write_text('[tool.loomgen]\nsources = "app"\n')
    with pytest.raises(ConfigError, match="key 'sources' must be"):
        main(["check", "--debug"])

    result = subprocess.run(
        [sys.executable, "-m", "loomgen", "check", "--debug"],
        cwd=project,
        capture_output=True,
        text=True,
        env={"PYTHONPATH": str(REPO)},
    )
    assert result.returncode != 0
    assert "Traceback" in result.stderr


def test_missing_pyproject_and_no_source(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    if any((folder / "pyproject.toml").is_file() for folder in tmp_path.parents):
        pytest.skip("a pyproject.toml above the temporary folder would be found")
    monkeypatch.chdir(tmp_path)
    assert main(["build"]) == 2
    assert capsys.readouterr().err.startswith("loomgen: error: no pyproject.toml found")


def test_source_errors_exit_2_and_write_nothing(
    project: Path, fake: FakeGenerate, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["build", "-q"]) == 0
    output = project / "app" / "gen"
    before = {p: p.read_bytes() for p in output.rglob("*") if p.is_file()}
    fake.files = {"__init__.py": "CHANGED\n"}
    fake.diagnostics = [
        Diagnostic("app/orders.py", 3, 5, "bad step", Severity.ERROR),
        Diagnostic("app/orders.py", 1, 1, "left to the interpreter", Severity.WARNING),
    ]

    for command in ("build", "check", "diff"):
        assert main([command]) == 2
        out, err = capsys.readouterr()
        assert out == ""
        assert err == (
            "app/orders.py:1:1: warning: left to the interpreter\n"
            "app/orders.py:3:5: error: bad step\n"
            "loomgen: error: 1 problem; app/gen was left untouched\n"
        )
    assert {p: p.read_bytes() for p in output.rglob("*") if p.is_file()} == before


def test_discovery_errors_count_too(
    project: Path, fake: FakeGenerate, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["build", "--source", "app", "--source", "missing"]) == 2
    assert "missing:1:1: error: source path does not exist" in capsys.readouterr().err
    assert fake.calls  # generation still ran, to report every problem at once
    assert not (project / "app" / "gen").exists()


def test_warnings_fail_only_with_strict(
    project: Path, fake: FakeGenerate, capsys: pytest.CaptureFixture[str]
) -> None:
    fake.diagnostics = [Diagnostic("app/orders.py", 2, 1, "slow path", Severity.WARNING)]

    assert main(["build", "--strict"]) == 2
    assert "(--strict: warnings count)" in capsys.readouterr().err
    assert not (project / "app" / "gen").exists()

    assert main(["build"]) == 0
    assert "app/orders.py:2:1: warning: slow path" in capsys.readouterr().err

    (project / "pyproject.toml").write_text(
        '[tool.loomgen]\nsources = ["app"]\noutput = "app/gen"\nstrict = true\n'
    )
    assert main(["check"]) == 2


def test_build_reports_kept_and_orphaned(
    project: Path, fake: FakeGenerate, capsys: pytest.CaptureFixture[str]
) -> None:
    fake.files = {**FILES, "old.py": "OLD\n", "edited.py": "E\n"}
    main(["build"])
    output = project / "app" / "gen"
    (output / "edited.py").write_text("mine\n")
    (output / "stray.py").write_text("")
    fake.files = dict(FILES)
    capsys.readouterr()

    assert main(["build"]) == 0

    out, err = capsys.readouterr()
    assert out.startswith("loomgen: app/gen: 0 created, 0 updated, 3 unchanged, 1 deleted\n")
    assert err == (
        "loomgen: warning: app/gen/edited.py: edited by hand and no longer generated; kept\n"
        "loomgen: warning: app/gen/stray.py: not generated by loomgen (orphaned); left alone\n"
    )


def test_overrides_and_project_option(
    project: Path, fake: FakeGenerate, monkeypatch: pytest.MonkeyPatch
) -> None:
    elsewhere = project / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)

    assert main(["build", "-q", "--project", "..", "--output", "out_pkg"]) == 0
    assert (elsewhere / "out_pkg" / MANIFEST).exists()
    assert fake.calls[-1] == (["app", "app.orders"], "out_pkg")

    assert main(["check", "-q", "--project", "..", "--source", "../app/orders.py"]) == 1
    assert fake.calls[-1] == (["app.orders"], "gen")


def test_diff(project: Path, fake: FakeGenerate, capsys: pytest.CaptureFixture[str]) -> None:
    main(["build", "-q"])
    fake.files = {**FILES, "app/orders.py": "ORDERS = 2\n"}

    assert main(["diff"]) == 0

    assert capsys.readouterr().out == (
        "--- a/app/gen/app/orders.py\n"
        "+++ b/app/gen/app/orders.py\n"
        "@@ -1 +1 @@\n"
        "-ORDERS = 1\n"
        "+ORDERS = 2\n"
    )


def test_clean(project: Path, fake: FakeGenerate, capsys: pytest.CaptureFixture[str]) -> None:
    main(["build", "-q"])

    assert main(["clean"]) == 0

    assert capsys.readouterr().out == "loomgen: app/gen: 3 deleted, 0 kept\n"
    assert not (project / "app" / "gen").exists()


def test_unexpected_errors_are_one_line_unless_debug(
    project: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def broken(sources: Sequence[SourceFile], package: str) -> BuildResult:
        raise RuntimeError("boom")

    monkeypatch.setattr(build, "generate", broken)

    assert main(["build"]) == 2
    assert capsys.readouterr().err == (
        "loomgen: error: unexpected RuntimeError: boom (run with --debug for a traceback)\n"
    )
    with pytest.raises(RuntimeError, match="boom"):
        main(["build", "--debug"])


def test_unsafe_output_path_is_an_error(
    project: Path, fake: FakeGenerate, capsys: pytest.CaptureFixture[str]
) -> None:
    fake.files = {"../escape.py": ""}
    assert main(["build"]) == 2
    assert capsys.readouterr().err.startswith("loomgen: error: invalid generated path")
    assert not (project / "app" / "escape.py").exists()


def test_usage_errors_return_2(capsys: pytest.CaptureFixture[str]) -> None:
    assert main([]) == 2
    assert main(["frobnicate"]) == 2
    assert main(["--help"]) == 0
    assert "build" in capsys.readouterr().out


def test_explain_is_wired(
    project: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    seen: list[tuple[list[str], str, str]] = []

    def explain(sources: Sequence[SourceFile], package: str, target: str) -> str:
        seen.append(([s.module for s in sources], package, target))
        if target.endswith(":Nope"):
            raise LookupError(f"no generated executor for {target}")
        return "the plan"

    monkeypatch.setattr(build, "explain", explain)

    assert main(["explain", "app.orders:PlaceOrder"]) == 0
    assert capsys.readouterr().out == "the plan\n"
    assert seen == [(["app", "app.orders"], "gen", "app.orders:PlaceOrder")]

    assert main(["explain", "app.orders:Nope"]) == 2
    assert capsys.readouterr().err == (
        "loomgen: error: explain: no generated executor for app.orders:Nope\n"
    )
    assert main(["explain", "app.orders"]) == 2
    assert "expected MODULE:CLASS" in capsys.readouterr().err


def test_explain_real_use_case(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["explain", "--project", str(REPO), "examples.shop.usecases:RegisterUser"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("examples.shop.usecases:RegisterUser")
    assert "# generated into generated/examples/shop/usecases.py" in out


def test_python_dash_m(project: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "loomgen", "--help"],
        cwd=project,
        capture_output=True,
        text=True,
        env={"PYTHONPATH": str(REPO)},
    )
    assert result.returncode == 0
    assert "usage: loomgen" in result.stdout
