"""Every example in README.md and docs/*.md runs.

Each document runs in a temporary folder of its own, its blocks in order:

* a ```python block is executed, all blocks of a document sharing one
  namespace (top-level ``await`` is allowed);
* a block preceded by ``<!-- file: PATH -->`` is written to ``PATH`` instead
  (a use case module, a pyproject.toml...), one preceded by
  ``<!-- append: PATH -->`` is appended to it;
* a ```sh block preceded by ``<!-- run -->`` is run line by line by bash,
  with this interpreter's ``bin`` folder first on ``PATH``; each line must
  exit 0, and one commented ``# prints: X`` must print exactly ``X``;
* a ```sh block preceded by ``<!-- dry-run -->`` is meant to be run in the
  checkout (``make test`` cannot run inside the test suite): each ``make X``
  (after any ``NAME=value`` settings) must be a target (``make -n X``), each
  ``python -m M`` an importable module, and each ``pip install
  '/path/to/checkout[extras]'`` must name extras that pyproject.toml defines
  (``.ci/wheel-smoke`` installs each extra for real);
* a ```sh block preceded by ``<!-- run: server -->`` starts the example shop's
  server (its first line, ``make serve``) and runs its ``curl`` lines against
  it (``test_the_serve_recipe_runs``);
* a block preceded by ``<!-- run: fresh-venv -->`` (the install recipe, a CI
  job's ``run:`` steps) runs in a fresh venv, from a wheel built from this
  checkout, in the slow ``test_install_recipes_run_in_a_fresh_venv``;
* a ```python block preceded by ``<!-- not-run -->`` is a deliberate
  fragment and is skipped (there are few: ``test_fragments_are_few``).

Every ```sh block carries one of those marks (``test_every_shell_block_is_run``).
"""

from __future__ import annotations

import ast
import asyncio
import importlib.util
import inspect
import os
import re
import socket
import subprocess
import sys
import time
import tomllib
import types
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parents[1]
DOCUMENTS = [REPO / "README.md", *sorted((REPO / "docs").glob("*.md"))]

_FENCE = re.compile(
    r"(?:<!-- (?P<mark>not-run|run|dry-run|run: fresh-venv|run: server|(?:file|append): [^ ]+) -->\n)?"
    r"```(?P<lang>\w*)\n(?P<body>.*?)^```$",
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


def commands(block: Block) -> list[tuple[int, str, str]]:
    """``(line offset, command, comment)`` for each command line of a shell block."""
    found = []
    for offset, line in enumerate(block.body.splitlines()):
        command, _, comment = line.partition("  #")
        command = command.strip()
        if command and not command.startswith("#"):
            found.append((offset, command, comment))
    return found


def shell_env(bin_folder: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("LOOM") and k != "PYTHONPATH"}
    env["PATH"] = bin_folder + os.pathsep + env.get("PATH", "")
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    return env


def write_file(block: Block, folder: Path) -> None:
    """A ``file:`` block written, or an ``append:`` block appended, under ``folder``."""
    assert block.mark is not None
    kind, _, path = block.mark.partition(": ")
    target = folder / path
    target.parent.mkdir(parents=True, exist_ok=True)
    if kind == "append":
        with target.open("a") as handle:
            handle.write("\n" + block.body)
    else:
        target.write_text(block.body)


def dry_run(block: Block) -> None:
    """Each ``make X`` of ``block`` is a target of the Makefile, each ``python -m M`` a module."""
    for offset, command, _ in commands(block):
        where = f"{block.document.name}:{block.line + offset}: {command}"
        words = command.split()
        while words and re.fullmatch(r"[A-Z_]+=\S*", words[0]):
            words = words[1:]  # environment settings before the command
        if words[0] == "make":
            done = subprocess.run(
                ["make", "-n", *words[1:]], cwd=REPO, capture_output=True, text=True
            )
            assert done.returncode == 0, f"{where}\n{done.stderr}"
        elif words[:2] == ["python", "-m"]:
            assert importlib.util.find_spec(words[2]) is not None, where
        elif words[:2] == ["pip", "install"] and (
            extras := re.fullmatch(r"'/path/to/checkout\[([\w,]+)\]'", words[2])
        ):
            defined = tomllib.loads((REPO / "pyproject.toml").read_text())["project"][
                "optional-dependencies"
            ]
            for extra in extras.group(1).split(","):
                assert extra in defined, f"{where}: pyproject.toml defines no extra {extra!r}"
        else:
            raise AssertionError(
                f"{where}: a dry-run block holds make, python -m or pip install of the checkout"
            )


def run_shell(block: Block, folder: Path, bin_folder: str | None = None) -> None:
    env = shell_env(bin_folder or str(Path(sys.executable).parent))
    for offset, command, comment in commands(block):
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
            if block.mark is not None and block.mark.startswith(("file: ", "append: ")):
                write_file(block, tmp_path)
            elif block.mark in ("run: fresh-venv", "run: server"):
                continue  # test_install_recipes_run_in_a_fresh_venv, test_the_serve_recipe_runs
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
            elif block.lang == "sh" and block.mark == "dry-run":
                dry_run(block)
    finally:
        # Forget what the examples imported from the scratch folder or from the checkout's own
        # packages (the generated package among them; not the venv's), so later tests import
        # their own copies; the runtime and compiler stay loaded.
        for name in set(sys.modules) - before:
            where = str(getattr(sys.modules[name], "__file__", None) or "")
            ours = where.startswith(str(REPO)) and not where.startswith(sys.prefix)
            if str(tmp_path) in where or (
                ours and name.partition(".")[0] not in ("loom", "loomgen")
            ):
                del sys.modules[name]
    assert ran, f"{document.name} has no example that runs"


def test_every_shell_block_is_run() -> None:
    """No shell recipe goes unchecked: each is run here, in the fresh venv, or dry-run."""
    unmarked = [
        f"{b.document.name}:{b.line}"
        for d in DOCUMENTS
        for b in blocks(d)
        if (b.lang == "sh" and b.mark not in ("run", "dry-run", "run: fresh-venv", "run: server"))
        or (b.lang == "yaml" and b.body.startswith("jobs:") and b.mark != "run: fresh-venv")
    ]
    assert unmarked == []


PLACEHOLDERS = {"/path/to/checkout": str(REPO)}
"""What the install recipe leaves to the reader, and what this test puts there."""


@pytest.mark.slow
def test_install_recipes_run_in_a_fresh_venv(tmp_path: Path) -> None:
    """The README's install lines and its CI job, as written, in a venv of their own: the
    wheel is built as the README says (into ``dist/``, and committed under ``wheels/`` for
    the CI job), the project is the README's own (its file blocks), and the CI job runs in
    a clone where ``generated/`` is committed (built first)."""
    project = tmp_path / "project"
    project.mkdir()
    built = subprocess.run(
        [sys.executable, "-m", "build", "--wheel", "--outdir", str(project / "dist"), str(REPO)],
        capture_output=True,
        text=True,
    )
    assert built.returncode == 0, built.stdout + built.stderr
    [wheel] = (project / "dist").glob("loomgen-*.whl")
    (project / "wheels").mkdir()
    (project / "wheels" / wheel.name).write_bytes(wheel.read_bytes())
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    bin_folder = str(venv / "bin")
    ran = []
    for block in blocks(REPO / "README.md"):
        if block.mark is not None and block.mark.startswith(("file: ", "append: ")):
            write_file(block, project)
        elif block.mark == "run: fresh-venv":
            if block.lang == "yaml":
                # A clone of the project: its generated package is committed.
                subprocess.run([f"{bin_folder}/loomgen", "build", "-q"], cwd=project, check=True)
                steps = re.findall(r"^ *- run: (.*)$", block.body, re.MULTILINE)
                body = "\n".join(steps) + "\n"
            else:
                body = block.body
                for placeholder, value in PLACEHOLDERS.items():
                    body = body.replace(placeholder, value)
            run_shell(Block(block.document, block.line, "sh", "run", body), project, bin_folder)
            ran.append(block.lang)
    assert ran == ["sh", "yaml"]
    # Installed from the wheel, not from this checkout.
    where = subprocess.run(
        [f"{bin_folder}/python", "-c", "import loomgen; print(loomgen.__file__)"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=True,
    )
    assert str(venv) in where.stdout


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


def test_the_migration_doc_says_how_ci_runs_the_compat_suite() -> None:
    """Both halves of the loom-kernel compat run gate CI, and the doc says so."""
    ci = (REPO / ".ci" / "run").read_text()
    compat = (REPO / ".ci" / "compat").read_text()
    doc = (REPO / "docs" / "migrating-from-loom-kernel.md").read_text()
    assert re.search(r"^COMPAT_GENERATED_GATE=1 make compat$", ci, re.MULTILINE)
    assert '"${COMPAT_GENERATED_GATE:-0}" = 1' in compat
    assert "CI runs `COMPAT_GENERATED_GATE=1 make compat`, so that half\ngates CI" in doc
    assert "not yet a CI gate" not in doc


def test_the_serve_recipe_runs(tmp_path: Path) -> None:
    """The README's ``make serve`` block: the shop served on a free port (``make serve`` is its
    first line, checked with ``make -n``; the server is started as that target starts it), then
    every ``curl`` line against it, each answered with a success."""
    (block,) = [b for d in DOCUMENTS for b in blocks(d) if b.mark == "run: server"]
    lines = [command for _, command, _ in commands(block)]
    assert lines[0].startswith("make serve"), lines[0]
    assert subprocess.run(["make", "-n", "serve"], cwd=REPO, capture_output=True).returncode == 0
    env = shell_env(str(Path(sys.executable).parent))
    env.update(PORT="0", DATABASE_URL=f"sqlite+aiosqlite:///{tmp_path}/shop.db")
    server = subprocess.Popen(
        [sys.executable, "-m", "examples.shop.serve"],
        cwd=REPO,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        assert server.stdout is not None
        address = ""
        for line in server.stdout:
            if found := re.search(r"serving on (http://\S+)", line):
                address = found.group(1)
                break
        assert address, "the shop's server printed no address"
        host, _, port = address.removeprefix("http://").partition(":")
        for _ in range(300):  # the socket is bound before the server listens on it
            try:
                socket.create_connection((host, int(port)), timeout=1).close()
                break
            except OSError:
                time.sleep(0.1)
        for command in lines[1:]:
            assert command.startswith("curl "), command
            done = subprocess.run(
                [
                    "bash",
                    "-c",
                    re.sub(r"localhost:\d+", address, command) + " --fail-with-body -sS",
                ],
                env=env,
                capture_output=True,
                text=True,
                timeout=60,
            )
            assert (
                done.returncode == 0
            ), f"{block.document.name}: {command}\n{done.stdout}{done.stderr}"
    finally:
        server.terminate()
        server.wait(timeout=30)
