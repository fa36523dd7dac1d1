"""Reading the sources: their texts and digests, and the modules of the import
path that loomgen may read (parse, never import) to follow a name.

Every module is scanned at most once, on first use; what a module's analysis
asked for is recorded, so that its cached result can name every input it
depends on.
"""

from __future__ import annotations

import os
import sys
import tokenize
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from loomgen.cache import module_digest
from loomgen.diagnostics import Diagnostic
from loomgen.discover import SourceFile

if TYPE_CHECKING:
    from loomgen.scan import ModuleScan


SourceText = tuple[SourceFile, str, str]
"""A source file, its text, and its :func:`~loomgen.cache.module_digest`."""


def read_texts(sources: Sequence[SourceFile]) -> tuple[dict[str, SourceText], list[Diagnostic]]:
    """Read every source file; unreadable ones become diagnostics."""
    texts: dict[str, SourceText] = {}
    problems: list[Diagnostic] = []
    for source in sources:
        try:
            # Decoded as Python decodes it: a BOM or a coding cookie, else UTF-8.
            with tokenize.open(source.path) as stream:
                text = stream.read()
        except (OSError, UnicodeDecodeError, SyntaxError) as error:
            problems.append(Diagnostic(source.display, 1, 1, f"cannot read: {error}"))
            continue
        texts[source.module] = (source, text, module_digest(source.module, source.display, text))
    return texts, problems


@dataclass(frozen=True)
class ImportPath:
    """Modules outside the sources that loomgen may read (parse, never import) to
    follow a base class, a mixin, an alias or a re-export: the modules found
    under the folders the sources are imported from (each source's import root).

    loom itself, the generated package and the standard library are never
    read from there. What a module read this way contains is part of the
    recorded inputs of every module whose analysis read it, like a source.
    """

    roots: tuple[Path, ...] = ()
    project: Path | None = None
    """The folder source displays are relative to (outside displays are too)."""
    excluded: frozenset[str] = frozenset()

    @classmethod
    def of(cls, sources: Sequence[SourceFile], package: str = "") -> ImportPath:
        roots: dict[Path, None] = {}
        project = None
        for source in sources:
            depth = source.module.count(".") + (1 if source.path.name == "__init__.py" else 0)
            roots.setdefault(source.path.parents[depth], None)
            text = str(source.path)
            if project is None and text.endswith(source.display):
                project = Path(text[: len(text) - len(source.display)] or ".")
        excluded = frozenset(sys.stdlib_module_names) | {"loom", "loomgen", "__future__"}
        if package:
            excluded |= {package.split(".")[0]}
        return cls(tuple(roots), project, excluded)

    def locate(self, module: str) -> SourceFile | None:
        """The file ``module`` would be imported from, if it lies under a root."""
        parts = module.split(".")
        if not module or parts[0] in self.excluded or not all(p.isidentifier() for p in parts):
            return None
        for root in self.roots:
            for candidate in (
                root.joinpath(*parts, "__init__.py"),
                root.joinpath(*parts[:-1], f"{parts[-1]}.py"),
            ):
                if candidate.is_file():
                    display = candidate.as_posix()
                    if self.project is not None:
                        display = Path(os.path.relpath(candidate, self.project)).as_posix()
                    return SourceFile(candidate, display, module)
        return None


class SourceIndex:
    """The readable sources, each scanned at most once, on first use; and the
    modules of the import path that names lead to (read on demand)."""

    def __init__(self, texts: Mapping[str, SourceText], path: ImportPath = ImportPath()) -> None:
        self.texts = texts
        self.path = path
        self.outside: dict[str, SourceText | None] = {}
        self._scans: dict[str, ModuleScan | Diagnostic] = {}

    def entry(self, module: str) -> SourceText | None:
        """A source, or a module of the import path: its file, text and digest."""
        found = self.texts.get(module)
        if found is not None:
            return found
        if module not in self.outside:
            self.outside[module] = _read_outside(self.path, module)
        return self.outside[module]

    def scan(self, module: str) -> ModuleScan | Diagnostic | None:
        """The scan of ``module``, its syntax error, or ``None`` if it is no source
        (nor a module loomgen can read on the import path)."""
        found = self._scans.get(module)
        if found is None:
            entry = self.entry(module)
            if entry is None:
                return None
            from loomgen.scan import scan_module

            found = scan_module(entry[0], entry[1])
            if isinstance(found, Diagnostic) and module not in self.texts:
                return None  # an unreadable module outside the sources: not seen
            self._scans[module] = found
        return found

    def digest(self, module: str) -> str | None:
        entry = self.entry(module)
        return None if entry is None else entry[2]


def _read_outside(path: ImportPath, module: str) -> SourceText | None:
    source = path.locate(module)
    if source is None:
        return None
    found, _ = read_texts([source])
    return found.get(module)


class Digests(Mapping[str, str]):
    """The digest of every source, and on demand of any module of the import
    path a record says it was built from (:func:`inputs_unchanged` asks)."""

    def __init__(self, index: SourceIndex) -> None:
        self.index = index

    def __getitem__(self, module: str) -> str:
        found = self.index.digest(module)
        if found is None:
            raise KeyError(module)
        return found

    def __iter__(self) -> Iterator[str]:
        return iter(self.index.texts)

    def __len__(self) -> int:
        return len(self.index.texts)


class RecordingModules(Mapping[str, "ModuleScan"]):
    """The scans of an index, seen as a mapping that remembers every name asked for."""

    def __init__(self, index: SourceIndex) -> None:
        self.index = index
        self.asked: set[str] = set()

    def __getitem__(self, module: str) -> ModuleScan:
        self.asked.add(module)
        found = self.index.scan(module)
        if found is None or isinstance(found, Diagnostic):
            raise KeyError(module)
        return found

    def __iter__(self) -> Iterator[str]:
        for module in sorted(self.index.texts):
            if module in self:
                yield module

    def __len__(self) -> int:
        return sum(1 for _ in self)
