"""Where the project's generated package is, when the one asked for does not import.

Used only on that failure path: the runtime reads the nearest
``pyproject.toml`` (from the working folder up) for ``[tool.loomgen] output``
and, when that folder holds a package whose import name is not the one the
runtime tried, says which name to give ``LOOM_GENERATED``. An ``output``
nested in another package (``library/gen``) is imported as ``library.gen``,
not by its folder name.
"""

from __future__ import annotations

import os
import sys
import tomllib
from pathlib import Path

PYPROJECT = "pyproject.toml"
DEFAULT_OUTPUT = "generated"


def path_like(package: str) -> str | None:
    """The import name meant by a ``LOOM_GENERATED`` written as a path
    (``library/gen``, ``library/gen/``), or ``None`` when it is not one."""
    if "/" not in package and "\\" not in package:
        return None
    parts = [part for part in package.replace("\\", "/").split("/") if part not in ("", ".")]
    if parts and all(part.isidentifier() for part in parts):
        return ".".join(parts)
    return None


def import_name(folder: Path, root: Path) -> str | None:
    """The dotted name ``folder`` is imported under: relative to the deepest
    ``sys.path`` entry holding it, else to the project ``root``."""
    folder = folder.resolve()
    bases = []
    for entry in sys.path:
        try:
            base = Path(entry or os.getcwd()).resolve()
        except (OSError, RuntimeError):
            continue
        if folder.is_relative_to(base) and folder != base:
            bases.append(base)
    base = max(bases, key=lambda path: len(path.parts)) if bases else root.resolve()
    if not folder.is_relative_to(base) or folder == base:
        return None
    parts = folder.relative_to(base).parts
    return ".".join(parts) if all(part.isidentifier() for part in parts) else None


def generated_elsewhere(package: str, start: Path | None = None) -> str | None:
    """Advice when ``package`` does not import but the project's configured output
    is a package imported under another name; ``None`` when there is none."""
    folder = start if start is not None else Path.cwd()
    for candidate in (folder, *folder.parents):
        pyproject = candidate / PYPROJECT
        if pyproject.is_file():
            break
    else:
        return None
    try:
        with pyproject.open("rb") as handle:
            tool = tomllib.load(handle).get("tool", {})
    except (OSError, tomllib.TOMLDecodeError):
        return None
    table = tool.get("loomgen") if isinstance(tool, dict) else None
    if not isinstance(table, dict):
        return None
    output = table.get("output", DEFAULT_OUTPUT)
    if not isinstance(output, str) or not output.strip():
        return None
    target = candidate / output
    if not (target / "__init__.py").is_file():
        return None
    name = import_name(target, candidate)
    if name is None or name == package:
        return None
    return (
        f"the generated package of {pyproject} ([tool.loomgen] output = {output!r}) is"
        f" imported as {name!r}: set LOOM_GENERATED={name}"
    )


__all__ = ["generated_elsewhere", "import_name", "path_like"]
