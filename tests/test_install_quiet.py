"""The first ``make`` in a fresh clone installs quietly.

``make demo`` and ``make test`` start with ``make install``: a venv, pip, and
an editable install of the checkout. setuptools announces every editable
install with a multi-line banner that pip's ``--quiet`` lets through; the
Makefile silences that one warning. The run is real: a copy of the checkout's
tracked files, a fresh venv, packages from the index (or pip's cache).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]

MACHINE_NOISE = "WARNING: Location 'file://"
"""pip's complaint about an index folder this machine's pip configuration names: not ours."""


@pytest.mark.slow
def test_the_first_make_install_prints_only_its_commands(tmp_path: Path) -> None:
    clone = tmp_path / "clone"
    tracked = (
        subprocess.run(["git", "ls-files", "-z"], cwd=REPO, capture_output=True, check=True)
        .stdout.decode()
        .split("\0")
    )
    for name in filter(None, tracked):
        source = REPO / name
        if source.is_file():
            target = clone / name
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target)
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONWARNINGS")}
    base = getattr(sys, "_base_executable", sys.executable)
    done = subprocess.run(
        ["make", "install", f"PYTHON={base}"], cwd=clone, env=env, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stdout + done.stderr
    printed = [
        line
        for line in (done.stdout + done.stderr).splitlines()
        if not line.startswith(MACHINE_NOISE)
    ]
    # make echoes each command of the recipe; nothing else may appear.
    recipe = subprocess.run(
        ["make", "-n", "-B", "install", f"PYTHON={base}"], cwd=clone, capture_output=True, text=True
    ).stdout.splitlines()
    assert printed == recipe
    assert (clone / ".venv" / ".installed-stamp").exists()
