"""Golden cases: ``tests/cases/<name>/source`` compiled by loomgen must give
exactly ``tests/cases/<name>/expected`` (every file, byte for byte), plus
``expected/diagnostics.txt`` listing what loomgen reported.

Regenerate every expectation after an intended change with::

    make golden        # or: python -m tests.golden --update
"""

from __future__ import annotations

import argparse
import shutil
import sys
from pathlib import Path

from loomgen.build import generate
from loomgen.inputs import INPUTS
from loomgen.discover import discover

CASES = Path(__file__).resolve().parent / "cases"
DIAGNOSTICS = "diagnostics.txt"


def case_names() -> list[str]:
    return sorted(p.name for p in CASES.iterdir() if (p / "source").is_dir())


def render_case(name: str) -> dict[str, str]:
    """What loomgen produces for one case: generated files plus diagnostics."""
    root = CASES / name / "source"
    sources, problems = discover([root], root=root)
    result = generate(sources, "generated")
    files = dict(result.files)
    # What the package was built from: digests that change with any loomgen
    # edit (tested in tests/loomgen/test_inputs.py, not byte for byte here).
    files.pop(INPUTS, None)
    lines = [str(d) for d in sorted(problems + result.diagnostics)]
    files[DIAGNOSTICS] = "".join(f"{line}\n" for line in lines)
    return files


def expected_files(name: str) -> dict[str, str]:
    folder = CASES / name / "expected"
    if not folder.is_dir():
        return {}
    return {
        path.relative_to(folder).as_posix(): path.read_text(encoding="utf-8")
        for path in sorted(folder.rglob("*"))
        if path.is_file() and "__pycache__" not in path.parts
    }


def update(name: str) -> None:
    folder = CASES / name / "expected"
    shutil.rmtree(folder, ignore_errors=True)
    for relative, text in render_case(name).items():
        target = folder / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8", newline="\n")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--update", action="store_true", help="rewrite the expectations")
    parser.add_argument("cases", nargs="*", help="case names (default: all)")
    args = parser.parse_args(argv)
    names = args.cases or case_names()
    failed = 0
    for name in names:
        if args.update:
            update(name)
            print(f"updated {name}")
        elif render_case(name) != expected_files(name):
            failed += 1
            print(f"differs: {name}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
