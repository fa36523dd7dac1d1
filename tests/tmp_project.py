"""Throw-away source packages for loomgen, built and imported under fresh names.

A :class:`TmpProject` is a folder holding one source package and the
generated package loomgen writes for it, both under names nobody else uses
(so every scenario imports its own modules exactly once and no stale
``sys.modules`` entry or ``.pyc`` can leak between scenarios). It runs the
real command line in-process (``loomgen.cli.main`` from inside the folder)
and cleans ``sys.path``/``sys.modules`` up afterwards.
"""

from __future__ import annotations

import contextlib
import importlib
import io
import itertools
import os
import shutil
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType

from loomgen.cli import main as loomgen_main

_counter = itertools.count()


@dataclass(frozen=True)
class Run:
    """What one ``loomgen`` command did."""

    code: int
    out: str
    err: str


def fresh_name(stem: str) -> str:
    """A module name no other scenario of this process uses."""
    return f"{stem}_{os.getpid()}_{next(_counter)}"


@contextlib.contextmanager
def chdir(path: Path) -> Iterator[None]:
    old = os.getcwd()
    os.chdir(path)
    try:
        yield
    finally:
        os.chdir(old)


class TmpProject:
    """``<root>/<package>/`` (sources) and ``<root>/<generated>/`` (loomgen's output)."""

    def __init__(self, root: Path, stem: str = "src") -> None:
        self.root = root
        self.package = fresh_name(stem)
        self.generated = f"{self.package}_gen"
        self.package_dir = root / self.package
        self.output = root / self.generated
        self._copies: list[str] = []
        self.package_dir.mkdir(parents=True)
        (self.package_dir / "__init__.py").write_text("")

    # -- sources ----------------------------------------------------------------

    def write(self, module: str, text: str) -> Path:
        path = self.package_dir / f"{module}.py"
        path.write_text(text, encoding="utf-8")
        return path

    def remove(self, module: str) -> None:
        (self.package_dir / f"{module}.py").unlink()

    def generated_file(self, module: str) -> Path:
        return self.output / self.package / f"{module}.py"

    # -- loomgen ----------------------------------------------------------------

    def loomgen(self, command: str, *extra: str) -> Run:
        """Run ``loomgen COMMAND --source <package> --output <generated>`` in-process."""
        out, err = io.StringIO(), io.StringIO()
        argv = [command, "--source", self.package, "--output", self.generated, *extra]
        with chdir(self.root), contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            code = loomgen_main(argv)
        return Run(code, out.getvalue(), err.getvalue())

    def build(self) -> Run:
        run = self.loomgen("build")
        assert run.code == 0, run
        return run

    def check(self) -> Run:
        return self.loomgen("check")

    # -- importing --------------------------------------------------------------

    def generated_copy(self) -> str:
        """Copy the generated package under a fresh name (its content does not depend
        on its name) so that it can be imported afresh; returns that name."""
        name = fresh_name(f"{self.generated}_copy")
        shutil.copytree(self.output, self.root / name, ignore=shutil.ignore_patterns("__pycache__"))
        self._copies.append(name)
        return name

    def import_module(self, module: str) -> ModuleType:
        """Import ``<package>.<module>`` (the source as it is on disk right now)."""
        self.enter()
        return importlib.import_module(f"{self.package}.{module}")

    def enter(self) -> None:
        if str(self.root) not in sys.path:
            sys.path.insert(0, str(self.root))
            importlib.invalidate_caches()

    def forget(self) -> None:
        """Drop every module of both packages from ``sys.modules`` and the path."""
        for name in list(sys.modules):
            for prefix in (self.package, self.generated, *self._copies):
                if name == prefix or name.startswith(prefix + "."):
                    del sys.modules[name]
        with contextlib.suppress(ValueError):
            sys.path.remove(str(self.root))
        importlib.invalidate_caches()


def replace_once(text: str, old: str, new: str) -> str:
    """``text`` with the single occurrence of ``old`` replaced (fails loudly otherwise)."""
    count = text.count(old)
    assert count == 1, f"expected exactly one {old!r} in the source, found {count}"
    return text.replace(old, new)


def build_generated(sources: list[Path], output: Path, root: Path) -> Iterator[str]:
    """Build ``sources`` into ``output`` (importable as ``output.name``) for a fixture to yield."""
    from loomgen.build import build_package

    result = build_package(sources, output, root=root)
    assert not result.diagnostics, result.diagnostics
    name = output.name
    sys.path.insert(0, str(output.parent))
    try:
        yield name
    finally:
        sys.path.remove(str(output.parent))
        for module in [m for m in sys.modules if m == name or m.startswith(name + ".")]:
            del sys.modules[module]
