"""``make demo``'s scenario: both runs (interpreted, then generated) must agree.

Run in a subprocess, as ``make demo`` does: plans are stored on the use case
classes, so an in-process run would share them with the rest of the suite.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_the_demo_runs_both_modes_and_they_agree(tmp_path: Path) -> None:
    database = tmp_path / "shop.sqlite3"
    completed = subprocess.run(
        [
            sys.executable,
            *("-m", "examples.shop.demo", "--both", "--mode", "generated"),
            *("--db", str(database)),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert completed.returncode == 0, completed.stdout[-3000:] + completed.stderr[-3000:]
    assert "both modes agree (interpreted and generated)" in completed.stdout
    headers = [line for line in completed.stdout.splitlines() if line.startswith("== shop demo")]
    assert len(headers) == 2, headers
    interpreted, generated = headers
    assert "mode=interpreted" in interpreted and " 0/" in interpreted, interpreted
    used, total = generated.split(", ")[-1].split(" ")[0].split("/")
    assert "mode=generated" in generated and used == total, generated
