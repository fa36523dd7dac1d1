"""Golden tests: loomgen's output for each case in tests/cases, byte for byte."""

from __future__ import annotations

import difflib
import subprocess
import sys
from pathlib import Path

import pytest

from tests.golden import CASES, case_names, expected_files, render_case


@pytest.mark.parametrize("name", case_names())
def test_generated_output_matches_expectation(name: str) -> None:
    actual = render_case(name)
    expected = expected_files(name)
    assert sorted(actual) == sorted(expected), "the set of generated files changed"
    for path in sorted(actual):
        if actual[path] != expected[path]:
            diff = "".join(
                difflib.unified_diff(
                    expected[path].splitlines(keepends=True),
                    actual[path].splitlines(keepends=True),
                    f"expected/{path}",
                    f"actual/{path}",
                )
            )
            pytest.fail(f"{name}: {path} differs (run `make golden` if intended):\n{diff}")


def test_generated_code_compiles() -> None:
    for name in case_names():
        for path, text in expected_files(name).items():
            if path.endswith(".py"):
                compile(text, f"{name}/{path}", "exec")


def test_expected_output_passes_black_check() -> None:
    folders = [str(CASES / name / "expected") for name in case_names()]
    completed = subprocess.run(
        [sys.executable, "-m", "black", "--check", "--quiet", "--line-length", "100", *folders],
        capture_output=True,
        text=True,
    )
    assert completed.returncode == 0, completed.stderr


@pytest.mark.slow
def test_expected_output_passes_mypy_strict(tmp_path: Path) -> None:
    """Each case's generated package type-checks against its sources under --strict."""
    failures = []
    config = tmp_path / "mypy.ini"
    config.write_text("[mypy]\nstrict = True\nplugins = pydantic.mypy\n", encoding="utf-8")
    root = Path(__file__).resolve().parents[2]
    for name in case_names():
        package = tmp_path / name / "generated"
        files = expected_files(name)
        if not any(path.endswith(".py") for path in files):
            continue  # a case whose build fails: only diagnostics are expected
        for path, text in files.items():
            if path.endswith(".py"):
                target = package / path
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_text(text, encoding="utf-8")
        completed = subprocess.run(
            [
                sys.executable,
                "-m",
                "mypy",
                "--strict",
                "--no-incremental",
                "--config-file",
                str(config),
                "-p",
                "generated",
            ],
            capture_output=True,
            text=True,
            cwd=tmp_path / name,
            env={
                "MYPYPATH": f"{CASES / name / 'source'}:{root}",
                "PATH": "/usr/bin:/bin",
            },
        )
        if completed.returncode != 0:
            failures.append(f"{name}:\n{completed.stdout}{completed.stderr}")
    assert not failures, "\n".join(failures)
