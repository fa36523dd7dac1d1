"""Whether the ``gen`` extra may accept a calendar year of black releases.

Black keeps its stable style unchanged within a calendar year. loomgen writes
that style itself for most pieces, and runs black on the rest, so generated
bytes stay the same across the range only if every black of the range formats
loomgen's code exactly as the black loomgen is tested with does. This test
installs the oldest and the newest black of the range from PyPI into
temporary venvs and has each format the raw pieces of every golden case, of
the synthetic project's first modules (every plan shape) and of the splitter's
edge cases, and check the golden output files: every byte must agree.
"""

from __future__ import annotations

import json
import os
import subprocess
import tomllib
import venv
from pathlib import Path

import black
import pytest
from packaging.requirements import Requirement

from bench import synthetic
from loomgen.render.black_form import black_mode
from loomgen.render.files import module_pieces
from tests.golden import CASES, case_names
from tests.loomgen.test_black_oracle import EDGES, modules_in

OLDEST = "26.1.0"
"""The first black release of the year the ``gen`` extra's range covers."""

ROOT = Path(__file__).resolve().parents[2]

NEWEST = "26.10.1"
"""The newest black release of the range when this test was written: raise it when black
releases another one this year (and keep the range's upper bound at next year)."""

FORMAT = """
import json, sys
import black
from black.mode import TargetVersion
mode = black.Mode(target_versions={TargetVersion.PY311}, line_length=100)
pieces = json.load(open(sys.argv[1], encoding="utf-8"))
json.dump(
    {"version": black.__version__, "formatted": [black.format_str(code, mode=mode) for code in pieces]},
    open(sys.argv[2], "w", encoding="utf-8"),
)
"""


def gen_black_requirement() -> Requirement:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    gen = [Requirement(text) for text in project["project"]["optional-dependencies"]["gen"]]
    (found,) = [requirement for requirement in gen if requirement.name == "black"]
    return found


def test_the_gen_extra_takes_one_calendar_year_of_black() -> None:
    """The range is the one the slow test below checks: this year's releases only."""
    allowed = gen_black_requirement().specifier
    year = OLDEST.split(".")[0]
    assert OLDEST in allowed and NEWEST in allowed
    assert f"{int(year) - 1}.12.0" not in allowed and f"{int(year) + 1}.1.0" not in allowed
    assert black.__version__ in allowed, "the black installed here is outside the range"


def raw_pieces(root: Path) -> list[str]:
    pieces = [code for code, _ in EDGES.values()]
    for name in case_names():
        source = CASES / name / "source"
        for module in modules_in(source, [source]):
            pieces.extend(code for _, code in module_pieces(module))
    synthetic.write_project(root)
    chosen = {f"{synthetic.PACKAGE}.m{index:03d}" for index in range(3)}
    for module in modules_in(root, [root / synthetic.PACKAGE]):
        if module.module in chosen:
            pieces.extend(code for _, code in module_pieces(module))
    return pieces


def black_in_venv(folder: Path, version: str, pieces: Path) -> tuple[list[str], str]:
    """Install ``black==version`` into a fresh venv; format ``pieces`` with it;
    also run ``black --check`` with it over every golden case's output."""
    venv.create(folder, with_pip=True)
    python = folder / "bin" / "python"
    env = {key: value for key, value in os.environ.items() if not key.startswith("PYTHON")}
    subprocess.run(
        [str(python), "-m", "pip", "install", "--quiet", f"black=={version}"],
        check=True,
        env=env,
        capture_output=True,
    )
    out = folder / "formatted.json"
    subprocess.run([str(python), "-c", FORMAT, str(pieces), str(out)], check=True, env=env)
    result = json.loads(out.read_text(encoding="utf-8"))
    assert result["version"] == version
    expected = [str(CASES / name / "expected") for name in case_names()]
    check = subprocess.run(
        [str(python), "-m", "black", "--check", "-l", "100", "-t", "py311", *expected],
        env=env,
        capture_output=True,
        text=True,
    )
    return result["formatted"], check.stderr if check.returncode else ""


@pytest.mark.slow
@pytest.mark.parametrize("version", [OLDEST, NEWEST])
def test_black_of_the_range_formats_loomgen_code_byte_for_byte_alike(
    version: str, tmp_path: Path
) -> None:
    pieces = raw_pieces(tmp_path / "synthetic")
    assert len(pieces) > 50
    source = tmp_path / "pieces.json"
    source.write_text(json.dumps(pieces), encoding="utf-8")
    formatted, complaints = black_in_venv(tmp_path / "venv", version, source)
    ours = [black.format_str(code, mode=black_mode()) for code in pieces]
    differing = [index for index, (a, b) in enumerate(zip(ours, formatted, strict=True)) if a != b]
    assert not differing, f"black {version} formats {len(differing)} pieces otherwise, e.g.:\n" + (
        pieces[differing[0]]
    )
    assert not complaints, f"black {version} would reformat golden output:\n{complaints}"
