"""Record loom-kernel 0.12.3's outcomes for the guide scenarios (run in loom-kernel's venv).

    python3 -m venv /tmp/kernel-venv
    /tmp/kernel-venv/bin/pip install loom-kernel==0.12.3
    /tmp/kernel-venv/bin/python tests/migration/record.py

loom-kernel installs a ``loom`` package of its own, so this never runs in the
project's venv, and the repository root goes at the *end* of ``sys.path``:
``loom`` is loom-kernel's, ``tests.migration`` this repository's. Writes
``kernel_0_12_3.json`` next to this file; ``tests/differential/test_migration.py``
compares loom's outcomes with it.
"""

from __future__ import annotations

import asyncio
import json
import sys
from importlib import metadata
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != HERE]
sys.path.append(str(HERE.parent.parent))


def main() -> None:
    from loom.core.engine.compiler import UseCaseCompiler
    from loom.core.engine.executor import RuntimeExecutor

    import importlib

    # loom-kernel's models must be LoomStructs: its entities stand in for loom's.
    entities = importlib.import_module("tests.migration.kernel_entities")
    sys.modules["tests.migration.entities"] = entities
    from tests.migration import scenarios

    assert entities.KERNEL

    def make_executor(**kwargs: Any) -> Any:
        return RuntimeExecutor(UseCaseCompiler(), **kwargs)

    outcomes = asyncio.run(scenarios.run(make_executor))
    recording = {"loom-kernel": metadata.version("loom-kernel"), "outcomes": outcomes}
    target = HERE / "kernel_0_12_3.json"
    target.write_text(json.dumps(recording, indent=1, sort_keys=True) + "\n")
    print(f"recorded {len(outcomes)} outcomes from loom-kernel {recording['loom-kernel']} in {target}")


if __name__ == "__main__":
    main()
