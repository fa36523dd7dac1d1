"""``loomgen check --verify``: the runtime's verdict on every use case a build compiled.

Each test writes a small project, builds it with the command line, and runs
``loomgen check --verify`` as a user would: the sources are imported in a
child process and every use case class is prepared in ``generated`` mode.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

from loomgen.verify import differences

ROOT = Path(__file__).resolve().parents[2]

CASES = """
from dataclasses import dataclass
from typing import Any

from loom.core.use_case import LoadById, UseCase


def traced(function: Any) -> Any:
    return function


@dataclass
class Report:
    id: int


class ShowReport(UseCase[Report, Report]):
    async def execute(self, report_id: int, report: Report = LoadById(Report, by="report_id")) -> Report:
        return report


class Decorated(UseCase[Any, int]):
    @traced
    async def execute(self, n: int) -> int:
        return n
"""


def project(tmp_path: Path, files: dict[str, str]) -> Path:
    (tmp_path / "pyproject.toml").write_text(
        '[tool.loomgen]\nsources = ["app"]\noutput = "gen_verify"\ncache = false\n'
    )
    for relative, text in files.items():
        path = tmp_path / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text).lstrip(), encoding="utf-8")
    return tmp_path


def loomgen(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "loomgen", *args],
        cwd=root,
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_verify_passes_when_the_runtime_accepts_every_executor(tmp_path: Path) -> None:
    root = project(tmp_path, {"app/__init__.py": "", "app/cases.py": CASES})
    assert loomgen(root, "build").returncode == 0
    done = loomgen(root, "check", "--verify")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "verify: 1 use case the runtime runs generated, 1 interpreted, 0 refused" in done.stdout
    assert "app.cases:Decorated: interpreted: left to the interpreter by the build" in done.stdout


def test_verify_fails_naming_the_class_and_the_fact_that_differs(tmp_path: Path) -> None:
    # Another module changes the class after it is defined: the build, reading
    # cases.py, compiles ShowReport as a writing use case; the runtime sees it
    # read-only and refuses the executor. Plain `check` cannot know.
    root = project(
        tmp_path,
        {
            "app/__init__.py": "from app import cases, tweaks\n",
            "app/cases.py": CASES,
            "app/tweaks.py": "from app import cases\n\nsetattr(cases.ShowReport, 'read_only', True)\n",
        },
    )
    assert loomgen(root, "build").returncode == 0
    assert loomgen(root, "check").returncode == 0
    done = loomgen(root, "check", "--verify")
    assert done.returncode == 1, done.stdout + done.stderr
    assert "verify: the runtime would refuse app.cases:ShowReport:" in done.stderr
    assert "first difference: read_only: the build read False, the runtime has True" in done.stderr
    assert "0 refused" not in done.stderr
    assert "does not fit the live classes" in done.stderr


def test_verify_reports_sources_it_cannot_import(tmp_path: Path) -> None:
    broken = CASES + "\nimport a_module_nobody_installed\n"
    root = project(tmp_path, {"app/__init__.py": "", "app/cases.py": broken})
    assert loomgen(root, "build").returncode == 0
    done = loomgen(root, "check", "--verify")
    assert done.returncode == 1
    assert "verify: cannot import app.cases: ModuleNotFoundError" in done.stderr


def test_verify_is_skipped_when_the_package_is_out_of_date(tmp_path: Path) -> None:
    root = project(tmp_path, {"app/__init__.py": "", "app/cases.py": CASES})
    done = loomgen(root, "check", "--verify")
    assert done.returncode == 1
    assert "run `loomgen build` to update it" in done.stdout
    assert "verify:" not in done.stdout + done.stderr


def test_differences_name_the_path_of_each_fact() -> None:
    built = {"loads": [{"profile": "default"}], "read_only": False}
    live = {"loads": [{"profile": "full"}], "read_only": False, "extra": 1}
    assert list(differences(built, live)) == [
        "extra: the build read nothing, the runtime has 1",
        "loads[0].profile: the build read 'default', the runtime has 'full'",
    ]
    assert list(differences([1, 2], (1, 2))) == []
