"""A content-hash cache of per-module build results, in the config's ``cache_dir``.

What is cached
--------------
For each source module, one JSON record (``modules/<hash of the module name>.json``)
holding what building that module produced: its diagnostics, its registry
entries, the path and text of its generated file, and the *pieces* of that
text black formatted (see :func:`loomgen.render.files.module_pieces`; the pieces
loomgen writes in black's form itself, most of them, are not stored).
One more record (``package.json``) holds the package-level files (the
registry and the sub-package ``__init__`` files), keyed by a digest of
everything they are made from.

When a record may be reused
---------------------------
Analysing a module reads more than its own text: base classes, compute and
rule functions, imported definitions, and whether a dotted name is one of the
scanned modules at all can all come from *other* modules. So a record stores,
as ``deps``, every module name the analysis asked about (through the recording
index of :mod:`loomgen.build`) with that module's digest at the time, or
``null`` when no readable source had that name. A record is reused only when

* its ``toolchain`` digest equals the current one: loomgen's version and the
  digest of its own code and templates (so a changed template or loomgen
  module invalidates everything, even without a version bump), the generated
  code format, and the versions of black, libcst and jinja2;
* its ``config`` digest equals the current one (project root and output
  package name; ``strict`` is left out because it only changes which
  diagnostics fail the run, never what they or the files are);
* every entry of ``deps`` — the module itself first — still has the same
  digest (or is still absent).

A module's digest covers its name, its path relative to the root and its
text, so renaming or moving a file counts as a change. Since the analysis of
a module is a deterministic function of exactly the modules it asked about
(each module is analysed on its own, with fresh state), reusing a record under
these conditions yields exactly what analysing again would. A source added
under a name some analysis had looked up and not found invalidates that
record too, because its ``deps`` entry was ``null``.

Formatted pieces are keyed by the digest of their unformatted text: black is
deterministic, so a piece's formatted text depends only on that text and on
black's version and mode (the record's ``formatter`` digest). When a module
changed, the pieces of its previous record are still offered to the
formatter, so an edit to one use case reformats only that use case's
function (plus the module's header or footer if those changed); after a
loomgen upgrade, pieces are reused as long as black and its mode are the
same.

Robustness
----------
Records are written atomically (temporary file, then ``os.replace``), so
concurrent builds never see half a file. A record that cannot be read or
parsed, has the wrong shape, or does not match is ignored and rewritten: a
corrupted cache costs time, never correctness. The cache folder gets a
``.gitignore`` of ``*``. Deleting the folder is always safe.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import os
import re
import tempfile
from collections.abc import Mapping
from functools import lru_cache
from pathlib import Path
from typing import Any

import loomgen

CACHE_FORMAT = 1
"""Version of the record layout below; part of the toolchain digest."""

_TOOL_PACKAGES = ("black", "libcst", "jinja2")
RUNTIME_FILES = ("fingerprint.py", "messages.py", "steps.py")
DSL_FILES = ("declaration.py", "rule.py", "field_ref.py", "compute.py")

Record = dict[str, Any]


def sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


def module_digest(module: str, display: str, text: str) -> str:
    """The digest of one source module: its import name, relative path and text."""
    return sha256(f"{module}\0{display}\0{text}")


@lru_cache(maxsize=2)
def toolchain_digest(tools: tuple[str, ...] = _TOOL_PACKAGES) -> str:
    """Digest of everything besides the sources that shapes generated output.

    Computed without importing black, libcst, jinja2 or the loom runtime (a
    fully cached build needs none of them): loomgen's code, its templates and
    loom's fingerprint module are hashed as files, and versions are read from
    the installed distributions' metadata folders.
    """
    parts = [f"cache-format={CACHE_FORMAT}", f"loomgen={loomgen.__version__}"]
    package_dir = Path(loomgen.__file__).resolve().parent
    code_files = sorted(package_dir.rglob("*.py"))  # loomgen/render/ included
    templates = _templates_folder(package_dir)
    if templates is not None:
        code_files += sorted(templates.glob("*.jinja"))
    loom_init = _module_file("loom")
    if loom_init is not None:
        # What generated code and diagnostics are made of on the runtime's side:
        # GENERATED_FORMAT and the plan shape, error wording, DSL structure.
        core = Path(loom_init).parent / "core"
        code_files += [core / "engine" / name for name in RUNTIME_FILES]
        code_files += [core / "use_case" / name for name in DSL_FILES]
    digest = hashlib.sha256()
    for path in code_files:
        digest.update(path.name.encode())
        digest.update(b"\0")
        try:
            digest.update(path.read_bytes())
        except OSError:
            digest.update(b"<missing>")
        digest.update(b"\0")
    parts.append(f"code={digest.hexdigest()}")
    for package in tools:
        parts.append(f"{package}={tool_version(package)}")
    return sha256("\n".join(parts))


def portable_toolchain_digest() -> str:
    """The toolchain digest recorded in a generated package: what makes its bytes
    (loomgen's code and templates, the runtime files it follows, black's
    version), not what merely parses sources (libcst, jinja2), so the same
    commit checked on another machine finds it fresh."""
    return toolchain_digest(("black",))


def tool_version(package: str) -> str:
    """The installed version of ``package``, found without importing it."""
    origin = _module_file(package)
    if origin is None:
        return "missing"
    folder = Path(origin).parent
    site = folder.parent
    prefix = f"{package.lower()}-"
    try:
        for entry in os.listdir(site):
            lowered = entry.lower()
            if lowered.startswith(prefix) and lowered.endswith(".dist-info"):
                return entry[len(prefix) : -len(".dist-info")]
    except OSError:
        pass
    for name in ("_version.py", "__init__.py"):
        try:
            text = (folder / name).read_text(encoding="utf-8")
        except OSError:
            continue
        found = re.search(r"^__version__\s*(?::\s*str\s*)?=\s*['\"]([^'\"]+)", text, re.MULTILINE)
        if found:
            return found.group(1)
    try:
        from importlib.metadata import version

        return version(package)
    except Exception:  # noqa: BLE001 - any failure just means "unknown"
        stat = Path(origin).stat()
        return f"unknown@{stat.st_mtime_ns}:{stat.st_size}"


def _module_file(name: str) -> str | None:
    try:
        spec = importlib.util.find_spec(name)
    except (ImportError, ValueError):
        return None
    return spec.origin if spec is not None else None


def _templates_folder(package_dir: Path) -> Path | None:
    installed = _module_file("loomgen.templates")
    if installed is not None:
        return Path(installed).parent
    checkout = package_dir.parent / "templates"
    return checkout if checkout.is_dir() else None


def config_digest(root: Path, package: str) -> str:
    """Digest of the configuration values that can change generated output."""
    return sha256(f"root={root}\npackage={package}")


def inputs_unchanged(module: str, deps: object, digests: Mapping[str, str]) -> bool:
    """Whether every module a record of ``module`` was built from (``deps``: name ->
    digest, ``None`` for a name no source had) still has that digest today."""
    return (
        isinstance(deps, dict)
        and deps.get(module) == digests.get(module)
        and all(digests.get(name) == digest for name, digest in deps.items())
    )


class BuildCache:
    """Module records in ``folder``; every method fails soft (a miss, never an error)."""

    def __init__(self, folder: Path, config: str) -> None:
        self.folder = folder
        self.config = config
        self.toolchain = toolchain_digest()
        self.hits = 0
        self.misses = 0

    # -- module records ----------------------------------------------------------

    def _module_path(self, module: str) -> Path:
        return self.folder / "modules" / f"{sha256(module)[:40]}.json"

    def load(self, module: str) -> Record | None:
        """The stored record of ``module`` (whatever its toolchain), or ``None``."""
        record = self._read(self._module_path(module))
        if record is None or record.get("module") != module:
            return None
        return record

    def lookup(
        self, module: str, digests: Mapping[str, str]
    ) -> tuple[Record | None, Record | None]:
        """``(valid record, stale record)`` of ``module`` given the current digests.

        A stale record (sources, toolchain or config changed) is never reused
        as a result, but its formatted pieces may still be (see
        ``loomgen.build``: black's output only depends on black).
        """
        record = self.load(module)
        if record is None:
            self.misses += 1
            return None, None
        if (
            record.get("toolchain") == self.toolchain
            and record.get("config") == self.config
            and inputs_unchanged(module, record.get("deps"), digests)
            and _well_formed(record)
        ):
            self.hits += 1
            return record, None
        self.misses += 1
        return None, record

    def store(self, record: Record) -> None:
        record = {**record, "toolchain": self.toolchain, "config": self.config}
        self._write(self._module_path(record["module"]), record)

    # -- the package record --------------------------------------------------------

    def load_package(self, key: str) -> dict[str, str] | None:
        record = self._read(self.folder / "package.json")
        if (
            record is None
            or record.get("key") != key
            or record.get("toolchain") != self.toolchain
            or record.get("config") != self.config
        ):
            return None
        files = record.get("files")
        if not isinstance(files, dict) or not all(
            isinstance(k, str) and isinstance(v, str) for k, v in files.items()
        ):
            return None
        return files

    def store_package(self, key: str, files: Mapping[str, str]) -> None:
        record = {
            "key": key,
            "toolchain": self.toolchain,
            "config": self.config,
            "files": dict(files),
        }
        self._write(self.folder / "package.json", record)

    # -- disk ------------------------------------------------------------------------

    def _read(self, path: Path) -> Record | None:
        try:
            data = json.loads(path.read_bytes())
        except (OSError, ValueError):
            return None
        return data if isinstance(data, dict) else None

    def _write(self, path: Path, record: Record) -> None:
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            ignore = self.folder / ".gitignore"
            if not ignore.exists():
                ignore.write_text("# Written by loomgen: the build cache is never committed.\n*\n")
            data = json.dumps(record, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
            handle, temp = tempfile.mkstemp(dir=path.parent, prefix=".", suffix=".tmp")
            try:
                with os.fdopen(handle, "wb") as stream:
                    stream.write(data)
                os.replace(temp, path)
            except BaseException:
                try:
                    os.unlink(temp)
                except OSError:
                    pass
                raise
        except OSError:
            pass  # an unwritable cache only costs time


def _well_formed(record: Record) -> bool:
    """Whether a module record has every field :mod:`loomgen.build` reads, well typed."""
    diagnostics = record.get("diagnostics")
    entries = record.get("entries")
    output = record.get("output")
    path = record.get("path")
    return (
        isinstance(diagnostics, list)
        and all(
            isinstance(d, list)
            and len(d) == 5
            and isinstance(d[0], str)
            and isinstance(d[1], int)
            and isinstance(d[2], int)
            and isinstance(d[3], str)
            and d[4] in ("error", "warning")
            for d in diagnostics
        )
        and isinstance(entries, list)
        and all(
            isinstance(e, list) and len(e) == 4 and all(isinstance(v, str) for v in e)
            for e in entries
        )
        and (output is None or isinstance(output, str))
        and (path is None or isinstance(path, str))
        and isinstance(record.get("pieces", {}), dict)
    )


__all__ = ["BuildCache", "config_digest", "module_digest", "toolchain_digest", "tool_version"]
