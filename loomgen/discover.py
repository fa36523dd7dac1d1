"""Find the source files to compile and the module name each is imported as.

A source path is either a package folder (searched recursively for ``*.py``
files) or a single ``.py`` file. Module names follow the rule Python's own
import of a package tree implies (and pytest's default ``prepend`` import
mode): walk up from the file through folders holding ``__init__.py``; the
folder above the topmost package is the import root, and the module name is
the dotted path from there. A source folder without ``__init__.py`` that holds
modules of its own is a namespace package (PEP 420): its name starts the module
names of everything under it, as the runtime imports them (but a test folder,
holding ``conftest.py`` or ``test_*.py`` files, is imported by pytest as a root).

Nothing is imported. Source paths must lie inside the project root, and a
symlink whose target lies outside it is reported and never followed.
Symlinks that stay inside the root are followed (a folder is entered at most
once per path, so loops end), and a file reached both directly and through a
link is kept once, under its first module name in sorted order. A file
reached twice through overlapping source paths is simply listed once.

Problems come back as :class:`~loomgen.diagnostics.Diagnostic` values (at
line 1, column 1): errors for paths that do not exist, are not Python files,
lie outside the root, or give one module name to two different files;
warnings for what is skipped (names that are not Python identifiers, outside
symlinks, symlink loops, a file reached again through a symlink, source
folders without Python files).
"""

from __future__ import annotations

import keyword
import os
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from loomgen.diagnostics import Diagnostic, Severity

_SKIPPED_FOLDERS = frozenset({"__pycache__"})


@dataclass(frozen=True)
class SourceFile:
    """One source module."""

    path: Path
    """Absolute path of the file (through any in-root symlink, not resolved)."""
    display: str
    """Path relative to the project root, posix style, for headers and diagnostics."""
    module: str
    """Dotted import name, e.g. ``shop.orders``."""


def discover(
    paths: Sequence[Path], *, root: Path, exclude: Sequence[Path] = ()
) -> tuple[list[SourceFile], list[Diagnostic]]:
    """List the source modules under ``paths``.

    ``root`` is the project root: displays are relative to it and symlinks
    may not lead out of it. Anything at or under a path in ``exclude`` (the
    output folder, typically) is skipped. The result is sorted by module
    name and the diagnostics are sorted; both depend only on the files.
    """
    return _Discovery(root, exclude).run(paths)


def is_importable_name(name: str) -> bool:
    """Whether ``name`` can be one part of a dotted module name.

    Python NFKC-normalizes the names in an import statement before looking
    for files, so a file or folder whose name is not normalized (``ª.py``)
    can never be imported under that name.
    """
    return (
        name.isidentifier()
        and not keyword.iskeyword(name)
        and unicodedata.normalize("NFKC", name) == name
    )


class _Discovery:
    def __init__(self, root: Path, exclude: Sequence[Path]) -> None:
        self.root = absolute(root)
        self.real_root = Path(os.path.realpath(self.root))
        self.exclude = [absolute(p) for p in exclude]
        self.real_exclude = [Path(os.path.realpath(p)) for p in self.exclude]
        self.diagnostics: list[Diagnostic] = []
        self.found: list[Path] = []
        self.reported_names: set[Path] = set()
        self.namespaces: list[Path] = []
        """Source folders that are namespace packages (see :func:`_is_namespace_source`)."""

    def run(self, paths: Sequence[Path]) -> tuple[list[SourceFile], list[Diagnostic]]:
        for given in paths:
            path = absolute(self.root / given)
            if _is_namespace_source(path, self.root):
                self.namespaces.append(path)
            self.add_source(path)
        files = self.name_modules(self.found)
        return files, sorted(set(self.diagnostics))

    # -- walking -----------------------------------------------------------

    def add_source(self, path: Path) -> None:
        if not _within(path, self.root):
            self.report(path, f"source path {path} is outside the project root {self.root}")
            return
        if self.is_excluded(path):
            return
        if path.is_symlink() and not self.link_stays_inside(path):
            return
        if not path.exists():
            from loomgen.config import closest_existing

            close = closest_existing(path)
            hint = f" (did you mean {display_path(close, self.root)!r}?)" if close else ""
            self.report(path, f"source path does not exist{hint}")
        elif path.is_dir():
            before = len(self.found)
            self.walk(path, active=frozenset())
            if len(self.found) == before:
                self.report(path, "no Python files found in this source folder", Severity.WARNING)
        elif path.suffix != ".py":
            self.report(path, "not a Python source file (expected a .py file or a package folder)")
        else:
            self.found.append(path)

    def walk(self, folder: Path, active: frozenset[Path]) -> None:
        real = Path(os.path.realpath(folder))
        if real in active:
            self.report(folder, "symlink loop; folder not entered again", Severity.WARNING)
            return
        active = active | {real}
        try:
            entries = sorted(os.scandir(folder), key=lambda entry: entry.name)
        except OSError as error:
            self.report(folder, f"cannot list folder: {error.strerror or error}")
            return
        for entry in entries:
            path = folder / entry.name
            if entry.name.startswith(".") or self.is_excluded(path):
                continue
            if entry.is_symlink() and not self.link_stays_inside(path):
                continue
            if entry.is_dir():
                if entry.name not in _SKIPPED_FOLDERS:
                    self.walk(path, active)
            elif entry.name.endswith(".py") and entry.is_file():
                self.found.append(path)

    def link_stays_inside(self, link: Path) -> bool:
        target = Path(os.path.realpath(link))
        if _within(target, self.real_root):
            return True
        self.report(
            link,
            f"symlink leads outside the project root (to {target}); not followed",
            Severity.WARNING,
        )
        return False

    def is_excluded(self, path: Path) -> bool:
        if any(_within(path, excluded) for excluded in self.exclude):
            return True
        if path.is_symlink():
            real = Path(os.path.realpath(path))
            return any(_within(real, excluded) for excluded in self.real_exclude)
        return False

    # -- naming ------------------------------------------------------------

    def name_modules(self, found: Iterable[Path]) -> list[SourceFile]:
        candidates: list[SourceFile] = []
        for path in found:
            module = self.module_name(path)
            if module is not None:
                candidates.append(SourceFile(path, self.display(path), module))
        candidates.sort(key=lambda f: (f.module, f.display))

        files: list[SourceFile] = []
        by_module: dict[str, SourceFile] = {}
        by_real: dict[Path, SourceFile] = {}
        for candidate in candidates:
            real = Path(os.path.realpath(candidate.path))
            earlier = by_module.get(candidate.module)
            if earlier is not None:
                if earlier.path == candidate.path:
                    continue  # the same file listed through overlapping sources
                if Path(os.path.realpath(earlier.path)) == real:
                    self.report(
                        candidate.path,
                        f"same file as {earlier.display}; skipped",
                        Severity.WARNING,
                    )
                else:
                    self.report(
                        candidate.path,
                        f"module {candidate.module!r} is reached twice: "
                        f"{earlier.display} and {candidate.display}",
                    )
                continue
            same_file = by_real.get(real)
            if same_file is not None:
                self.report(
                    candidate.path,
                    f"same file as {same_file.display} (module {same_file.module!r}); skipped",
                    Severity.WARNING,
                )
                continue
            by_module[candidate.module] = candidate
            by_real[real] = candidate
            files.append(candidate)
        return files

    def module_name(self, path: Path) -> str | None:
        """Dotted name of ``path`` under the prepend rule; ``None`` if not importable."""
        parts = [] if path.name == "__init__.py" else [path.stem]
        bad: Path | None = None if is_importable_name(path.stem) else path
        folder = path.parent
        while (
            (folder / "__init__.py").is_file()
            or any(_within(folder, namespace) for namespace in self.namespaces)
        ) and folder.parent != folder:
            parts.append(folder.name)
            if bad is None and not is_importable_name(folder.name):
                bad = folder
            folder = folder.parent
        if bad is not None:
            if bad not in self.reported_names:
                self.reported_names.add(bad)
                kind = "file" if bad == path else "folder"
                self.report(
                    bad,
                    f"{kind} name {bad.name!r} is not a valid Python identifier; "
                    "it cannot be imported (skipped)",
                    Severity.WARNING,
                )
            return None
        return ".".join(reversed(parts))

    # -- reporting ---------------------------------------------------------

    def display(self, path: Path) -> str:
        if _within(path, self.root):
            return path.relative_to(self.root).as_posix() or "."
        return path.as_posix()

    def report(self, path: Path, message: str, severity: Severity = Severity.ERROR) -> None:
        self.diagnostics.append(Diagnostic(self.display(path), 1, 1, message, severity))


def _is_namespace_source(path: Path, root: Path) -> bool:
    """Whether a source folder is a namespace package (PEP 420): it has no
    ``__init__.py`` but holds modules of its own, so the runtime imports them
    as ``folder.module``. A folder of packages only (``src/``) and the project
    root itself are import roots instead, and so is a test folder (``conftest.py``,
    ``test_*.py``), whose modules pytest's default import mode imports by name."""
    if path == root or not path.is_dir() or (path / "__init__.py").exists():
        return False
    if not is_importable_name(path.name):
        return False
    try:
        modules = [e.name for e in os.scandir(path) if e.name.endswith(".py") and e.is_file()]
    except OSError:
        return False
    if any(
        name == "conftest.py" or name.startswith("test_") or name.endswith("_test.py")
        for name in modules
    ):
        return False  # a test folder: pytest imports its modules by their own names
    return bool(modules)


def absolute(path: Path) -> Path:
    """``path`` made absolute and normalised (``..`` folded; symlinks not followed)."""
    return Path(os.path.normpath(os.path.abspath(path)))


def _within(path: Path, folder: Path) -> bool:
    return path == folder or path.is_relative_to(folder)


def display_path(path: Path, base: Path) -> str:
    """``path`` relative to ``base`` when below it (``.`` for ``base`` itself), else as given."""
    try:
        return path.relative_to(base).as_posix()
    except ValueError:
        return str(path)
