"""Every example in README.md and docs/*.md runs.

Each document runs in a temporary folder of its own, its blocks in order:

* a ```python block is executed, all blocks of a document sharing one
  namespace (top-level ``await`` is allowed);
* a block preceded by ``<!-- file: PATH -->`` is written to ``PATH`` instead
  (a use case module, a pyproject.toml...);
* a ```sh block preceded by ``<!-- run -->`` is run line by line by bash,
  with this interpreter's ``bin`` folder first on ``PATH``; each line must
  exit 0, and one commented ``# prints: X`` must print exactly ``X``;
* a ```python block preceded by ``<!-- not-run -->`` is a deliberate
  fragment and is skipped (there are few: ``test_fragments_are_few``).
"""

from __future__ import annotations

import ast
import asyncio
import inspect
import os
import re
import subprocess
import sys
import types
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parents[1]
DOCUMENTS = [REPO / "README.md", *sorted((REPO / "docs").glob("*.md"))]

_FENCE = re.compile(
    r"(?:<!-- (?P<mark>not-run|run|file: [^ ]+) -->\n)?```(?P<lang>\w*)\n(?P<body>.*?)^```$",
    re.DOTALL | re.MULTILINE,
)


@dataclass(frozen=True)
class Block:
    document: Path
    line: int
    lang: str
    mark: str | None
    body: str


def blocks(document: Path) -> list[Block]:
    text = document.read_text()
    return [
        Block(
            document,
            text.count("\n", 0, match.start("body")) + 1,
            match["lang"],
            match["mark"],
            match["body"],
        )
        for match in _FENCE.finditer(text)
    ]


def run_python(block: Block, namespace: dict[str, Any]) -> None:
    where = f"{block.document.name}:{block.line}"
    code = compile(
        "\n" * (block.line - 1) + block.body, where, "exec", flags=ast.PyCF_ALLOW_TOP_LEVEL_AWAIT
    )
    if code.co_flags & inspect.CO_COROUTINE:
        asyncio.run(eval(code, namespace))
    else:
        exec(code, namespace)


def run_shell(block: Block, folder: Path) -> None:
    bin_folder = str(Path(sys.executable).parent)
    env = {k: v for k, v in os.environ.items() if not k.startswith("LOOM")}
    env["PATH"] = bin_folder + os.pathsep + env.get("PATH", "")
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    for offset, line in enumerate(block.body.splitlines()):
        command, _, comment = line.partition("  #")
        command = command.strip()
        if not command or command.startswith("#"):
            continue
        done = subprocess.run(
            ["bash", "-c", command], cwd=folder, env=env, capture_output=True, text=True
        )
        where = f"{block.document.name}:{block.line + offset}: {command}"
        assert done.returncode == 0, f"{where}\n{done.stdout}{done.stderr}"
        printed = comment.strip().removeprefix("prints:")
        if printed != comment.strip():
            assert done.stdout.strip() == printed.strip(), f"{where}\n{done.stdout}"


@pytest.mark.parametrize(
    "document", DOCUMENTS, ids=[d.relative_to(REPO).as_posix() for d in DOCUMENTS]
)
def test_every_example_runs(
    document: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in list(os.environ):
        if name.startswith("LOOM"):
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)
    monkeypatch.syspath_prepend(str(tmp_path))
    before = set(sys.modules)
    # A real module, as dataclasses and type hints look their module up.
    module = types.ModuleType(f"docs_{document.stem}")
    monkeypatch.setitem(sys.modules, module.__name__, module)
    namespace = module.__dict__
    ran = 0
    try:
        for block in blocks(document):
            if block.mark is not None and block.mark.startswith("file: "):
                target = tmp_path / block.mark.removeprefix("file: ")
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_text(block.body)
            elif block.lang == "python" and block.mark != "not-run":
                # A reader's project has no `generated` package until it builds one:
                # this repository's own (for examples/shop) is not theirs.
                if (tmp_path / "generated").exists():
                    if sys.modules.get("generated", False) is None:
                        del sys.modules["generated"]
                else:
                    monkeypatch.setitem(sys.modules, "generated", None)
                run_python(block, namespace)
                ran += 1
            elif block.lang == "sh" and block.mark == "run":
                run_shell(block, tmp_path)
                ran += 1
    finally:
        for name in set(sys.modules) - before:
            if str(tmp_path) in str(getattr(sys.modules[name], "__file__", None) or ""):
                del sys.modules[name]
    assert ran, f"{document.name} has no example that runs"


def test_fragments_are_few() -> None:
    found = [b for d in DOCUMENTS for b in blocks(d) if b.mark == "not-run"]
    assert len(found) <= 3, [f"{b.document.name}:{b.line}" for b in found]


def test_the_documents_stay_inside_the_repository() -> None:
    """Every relative link leads to a file of the repository; nothing points outside it."""
    for document in DOCUMENTS:
        text = document.read_text()
        assert "../" not in text, document.name
        for target in re.findall(r"\]\(([^)#]+)", text):
            if "://" in target:
                continue
            resolved = (document.parent / target).resolve()
            assert resolved.is_relative_to(REPO) and resolved.exists(), (document.name, target)
