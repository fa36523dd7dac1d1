"""Own the generated package on disk: write, check, diff and clean it.

Input is always the complete wanted content of the package, ``files``: a
mapping from relative posix paths inside the output folder to full text
(written as UTF-8, byte for byte). Loomgen records what it wrote in a
manifest, ``_loomgen_manifest.json``, mapping each owned path to the sha256
of its bytes. Ownership decides what may be removed:

* a wanted file is created or rewritten when its bytes differ, and left
  alone (mtime included) when they are equal;
* an owned file that is no longer wanted is deleted only if it still has
  the bytes loomgen wrote; if it was edited by hand it is kept, reported
  and dropped from the manifest (it is the user's now);
* any other ``*.py`` file under the output folder is *orphaned*: reported,
  never touched.

Crash safety: every path is checked before anything is written; each file
is replaced atomically (temporary file in the same folder, flushed and
fsynced, then ``os.replace``); deletions follow; the manifest is written
last. A crash at any point leaves each file with either its old or its new
bytes, and the old manifest still describes what loomgen owned, so the next
run finishes the job. (If the wanted files change between a crashed run and
the next one, a file the crashed run had already rewritten and is no longer
wanted looks hand-edited: it is kept and reported, never lost.)

An unreadable manifest is treated as empty, which is safe: without a record
of ownership nothing is deleted.
"""

from __future__ import annotations

import difflib
import hashlib
import json
import os
import shutil
import tempfile
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

import loomgen

MANIFEST = "_loomgen_manifest.json"
"""Name of the manifest file at the top of the output folder."""

_TEMP_SUFFIX = ".loomgen-tmp"
_CACHE_FOLDER = "__pycache__"


class EmitError(Exception):
    """The package cannot be written safely; nothing was changed on disk."""


@dataclass(frozen=True)
class Changes:
    """What a write did (or would do) to each path, as sorted tuples of relative paths."""

    created: tuple[str, ...] = ()
    updated: tuple[str, ...] = ()
    unchanged: tuple[str, ...] = ()
    deleted: tuple[str, ...] = ()
    """Owned, no longer wanted and unmodified: removed."""
    kept_modified: tuple[str, ...] = ()
    """Owned, no longer wanted, but edited by hand: kept."""
    orphaned: tuple[str, ...] = ()
    """Other ``*.py`` files under the output folder, neither wanted nor owned."""


def plan_changes(output: Path, files: Mapping[str, str]) -> Changes:
    """What :func:`write_package` would do, without touching the disk.

    Raises :class:`EmitError` when a path is invalid or leads through a symlink.
    """
    return _plan(output, files).changes


REGISTRY = "__init__.py"


def write_package(output: Path, files: Mapping[str, str]) -> Changes:
    """Make ``output`` hold exactly ``files`` (plus kept and orphaned files) and the manifest.

    All paths are validated first; on :class:`EmitError` nothing was written.
    """
    plan = _plan(output, files)
    changes = plan.changes
    output.mkdir(parents=True, exist_ok=True)
    _remove_stale_temp_files(output)

    # The registry (the package's top ``__init__.py``) names the modules and
    # their fingerprints, so it is written after every module it points to:
    # a build killed half-way never leaves a registry vouching for old code.
    pending = (*changes.created, *changes.updated)
    ordered = [rel for rel in pending if rel != REGISTRY] + [
        rel for rel in pending if rel == REGISTRY
    ]
    written_folders: set[Path] = set()
    for rel in ordered:
        target = output / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        _atomic_write(target, plan.data[rel])
        written_folders.add(target.parent)
    for folder in sorted(written_folders):
        _fsync_folder(folder)

    for rel in changes.deleted:
        (output / rel).unlink(missing_ok=True)
    _prune_empty_folders(output, changes.deleted)

    manifest = manifest_text(files).encode()
    manifest_path = output / MANIFEST
    if _read_bytes(manifest_path) != manifest:
        _atomic_write(manifest_path, manifest)
        _fsync_folder(output)
    return changes


def check_package(output: Path, files: Mapping[str, str]) -> list[str]:
    """Lines ``missing: x``, ``changed: x``, ``orphaned: x``, sorted by path.

    Empty exactly when ``output`` already is what :func:`write_package` would
    leave: every wanted file present with the same bytes, a current manifest,
    and no other ``*.py`` files (owned-but-unwanted files count as orphaned).
    """
    plan = _plan(output, files)
    changes = plan.changes
    found = [(rel, "missing") for rel in changes.created]
    found += [(rel, "changed") for rel in changes.updated]
    for rel in (*changes.deleted, *changes.kept_modified, *changes.orphaned):
        found.append((rel, "orphaned"))
    current = _read_bytes(output / MANIFEST)
    if current is None:
        found.append((MANIFEST, "missing"))
    elif current != manifest_text(files).encode():
        found.append((MANIFEST, "changed"))
    return [f"{kind}: {rel}" for rel, kind in sorted(found)]


def diff_package(output: Path, files: Mapping[str, str]) -> str:
    """A unified diff from the package on disk to what a build would write.

    Covers created, updated and deleted files (not the manifest, nor kept or
    orphaned files, which a build leaves alone), sorted by path. Headers are
    ``a/<path>`` and ``b/<path>`` with paths relative to the working folder;
    a created or deleted side is ``/dev/null``.
    """
    plan = _plan(output, files)
    changes = plan.changes
    cwd = Path.cwd()
    entries = [(rel, "created") for rel in changes.created]
    entries += [(rel, "updated") for rel in changes.updated]
    entries += [(rel, "deleted") for rel in changes.deleted]
    chunks: list[str] = []
    for rel, kind in sorted(entries):
        shown = Path(os.path.relpath(output / rel, cwd)).as_posix()
        old = "" if kind == "created" else _read_text(output / rel)
        new = "" if kind == "deleted" else files[rel]
        before = "/dev/null" if kind == "created" else f"a/{shown}"
        after = "/dev/null" if kind == "deleted" else f"b/{shown}"
        chunks.append(_unified_diff(old, new, before, after))
    return "".join(chunks)


def clean_package(output: Path) -> Changes:
    """Remove the files loomgen owns (unless edited by hand) and the manifest.

    Folders left empty are removed, the output folder included. Hand-edited
    owned files are kept and reported as ``kept_modified``; unowned ``*.py``
    files are reported as ``orphaned``.
    """
    plan = _plan(output, {})
    changes = plan.changes
    if not output.exists():
        return changes
    for rel in changes.deleted:
        (output / rel).unlink(missing_ok=True)
    _prune_empty_folders(output, changes.deleted)
    (output / MANIFEST).unlink(missing_ok=True)
    _remove_stale_temp_files(output)
    _remove_if_empty(output)
    return changes


def manifest_text(files: Mapping[str, str]) -> str:
    """The manifest recording ``files`` as owned: stable JSON with a trailing newline."""
    document = {
        "loomgen": loomgen.__version__,
        "files": {rel: _sha256(text.encode()) for rel, text in files.items()},
    }
    return json.dumps(document, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


# -- planning ----------------------------------------------------------------


@dataclass(frozen=True)
class _Plan:
    changes: Changes
    data: dict[str, bytes]


def _plan(output: Path, files: Mapping[str, str]) -> _Plan:
    _check_output_folder(output)
    data = _validate_files(output, files)
    owned = _read_manifest(output)

    created: list[str] = []
    updated: list[str] = []
    unchanged: list[str] = []
    for rel in sorted(data):
        current = _read_bytes(output / rel)
        if current is None:
            created.append(rel)
        elif current == data[rel]:
            unchanged.append(rel)
        else:
            updated.append(rel)

    deleted: list[str] = []
    kept: list[str] = []
    for rel in sorted(set(owned) - set(data)):
        path = output / rel
        if not os.path.lexists(path):
            continue
        # Anything that is no longer a plain file reached without symlinks is
        # not what loomgen wrote: keep it.
        plain = _symlink_problem(output, rel) is None and path.is_file()
        current = _read_bytes(path) if plain else None
        if current is not None and _sha256(current) == owned[rel]:
            deleted.append(rel)
        else:
            kept.append(rel)

    orphaned = sorted(rel for rel in _python_files(output) if rel not in data and rel not in owned)
    changes = Changes(
        created=tuple(created),
        updated=tuple(updated),
        unchanged=tuple(unchanged),
        deleted=tuple(deleted),
        kept_modified=tuple(kept),
        orphaned=tuple(orphaned),
    )
    return _Plan(changes, data)


def _check_output_folder(output: Path) -> None:
    if output.is_symlink():
        raise EmitError(f"{output}: the output folder is a symlink; refusing to write through it")
    if output.exists() and not output.is_dir():
        raise EmitError(f"{output}: the output path exists and is not a folder")


def _validate_files(output: Path, files: Mapping[str, str]) -> dict[str, bytes]:
    """Check every wanted path and encode every text; raise before any write."""
    data: dict[str, bytes] = {}
    folded: dict[str, str] = {}
    for rel, text in files.items():
        problem = _path_problem(rel)
        if problem is None and rel == MANIFEST:
            problem = "is the manifest's name"
        if problem is not None:
            raise EmitError(f"invalid generated path {rel!r}: {problem}")
        twin = folded.setdefault(rel.casefold(), rel)
        if twin != rel:
            raise EmitError(f"generated paths {twin!r} and {rel!r} differ only in case")
        try:
            data[rel] = text.encode("utf-8")
        except UnicodeEncodeError as error:
            raise EmitError(f"generated file {rel!r} cannot be encoded as UTF-8: {error}") from None
    for rel in data:
        parts = rel.split("/")
        for end in range(1, len(parts)):
            prefix = "/".join(parts[:end])
            if prefix in data:
                raise EmitError(f"generated path {rel!r} needs {prefix!r} to be a folder")
        _check_no_symlinks(output, rel)
        path = output / rel
        if path.is_dir():
            raise EmitError(f"{path}: a folder is in the way of a generated file")
        if not _resolves_inside(output, path):
            raise EmitError(f"{path}: leads outside the output folder")
    return data


def _path_problem(rel: str) -> str | None:
    """Why ``rel`` is not a clean relative posix path inside the output, or ``None``."""
    if not isinstance(rel, str) or not rel:
        return "empty path"
    if "\\" in rel:
        return "backslashes are not allowed (use '/')"
    if "\0" in rel:
        return "NUL character"
    if rel.startswith("/") or (len(rel) > 1 and rel[1] == ":"):
        return "absolute paths are not allowed"
    for part in rel.split("/"):
        if part == "":
            return "empty path part"
        if part in (".", ".."):
            return f"{part!r} parts are not allowed"
    return None


def _check_no_symlinks(output: Path, rel: str) -> None:
    problem = _symlink_problem(output, rel)
    if problem is not None:
        raise EmitError(problem)


def _symlink_problem(output: Path, rel: str) -> str | None:
    """Why writing ``rel`` would go through a symlink or a file, or ``None``."""
    current = output
    parts = rel.split("/")
    for index, part in enumerate(parts):
        current = current / part
        if current.is_symlink():
            return f"{current}: is a symlink; refusing to write through it"
        if not os.path.lexists(current):
            return None
        if index < len(parts) - 1 and not current.is_dir():
            return f"{current}: is a file where a folder is needed"
    return None


def _resolves_inside(output: Path, path: Path) -> bool:
    real_output = Path(os.path.realpath(output))
    real_path = Path(os.path.realpath(path))
    return real_path.is_relative_to(real_output) and real_path != real_output


def _read_manifest(output: Path) -> dict[str, str]:
    """Owned path -> sha256. Unreadable or malformed entries are ignored (owning nothing)."""
    raw = _read_bytes(output / MANIFEST)
    if raw is None:
        return {}
    try:
        document = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError):
        return {}
    entries = document.get("files") if isinstance(document, dict) else None
    if not isinstance(entries, dict):
        return {}
    return {
        rel: digest
        for rel, digest in entries.items()
        if isinstance(rel, str)
        and isinstance(digest, str)
        and _path_problem(rel) is None
        and rel != MANIFEST
    }


def _python_files(output: Path) -> Iterable[str]:
    """Relative paths of ``*.py`` entries under ``output``, not following symlinks."""
    if not output.is_dir():
        return
    for folder, subfolders, names in os.walk(output):
        subfolders[:] = sorted(name for name in subfolders if name != _CACHE_FOLDER)
        base = Path(folder)
        for name in sorted(names):
            if name.endswith(".py"):
                yield (base / name).relative_to(output).as_posix()


# -- disk operations ---------------------------------------------------------


def _atomic_write(target: Path, data: bytes) -> None:
    """Replace ``target`` with ``data`` so readers see the old or the new bytes, never a mix."""
    try:
        mode = target.stat().st_mode & 0o777
    except FileNotFoundError:
        mode = 0o644
    handle, temp_name = tempfile.mkstemp(
        dir=target.parent, prefix=f".{target.name}.", suffix=_TEMP_SUFFIX
    )
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(data)
            stream.flush()
            os.fsync(stream.fileno())
        os.chmod(temp_name, mode)
        os.replace(temp_name, target)
    except BaseException:
        try:
            os.unlink(temp_name)
        except OSError:
            pass
        raise


def _fsync_folder(folder: Path) -> None:
    """Make renames in ``folder`` durable (best effort where folders cannot be opened)."""
    try:
        handle = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(handle)
    except OSError:
        pass
    finally:
        os.close(handle)


def _remove_stale_temp_files(output: Path) -> None:
    """Delete temporary files left behind by an interrupted write."""
    for folder, subfolders, names in os.walk(output):
        subfolders[:] = [name for name in subfolders if name != _CACHE_FOLDER]
        for name in names:
            if name.startswith(".") and name.endswith(_TEMP_SUFFIX):
                Path(folder, name).unlink(missing_ok=True)


def _prune_empty_folders(output: Path, removed: Iterable[str]) -> None:
    """Remove folders (below ``output``) that removing ``removed`` left empty."""
    folders = {(output / rel).parent for rel in removed}
    for folder in sorted(folders, key=lambda path: len(path.parts), reverse=True):
        while folder != output and folder.is_relative_to(output):
            if not _remove_if_empty(folder):
                break
            folder = folder.parent


def _remove_if_empty(folder: Path) -> bool:
    """Remove ``folder`` if it holds nothing but a ``__pycache__`` folder."""
    if folder.is_symlink() or not folder.is_dir():
        return False
    entries = os.listdir(folder)
    if any(name != _CACHE_FOLDER for name in entries):
        return False
    cache = folder / _CACHE_FOLDER
    if entries:
        if cache.is_symlink() or not cache.is_dir():
            return False
        shutil.rmtree(cache)
    folder.rmdir()
    return True


def _read_bytes(path: Path) -> bytes | None:
    try:
        return path.read_bytes()
    except (FileNotFoundError, NotADirectoryError, IsADirectoryError):
        return None


def _read_text(path: Path) -> str:
    data = _read_bytes(path)
    return "" if data is None else data.decode("utf-8", errors="replace")


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


# -- diffs -------------------------------------------------------------------


def _unified_diff(old: str, new: str, before: str, after: str) -> str:
    pieces: list[str] = []
    for line in difflib.unified_diff(_lines(old), _lines(new), before, after):
        pieces.append(line)
        if not line.endswith("\n"):
            pieces.append("\n\\ No newline at end of file\n")
    return "".join(pieces)


def _lines(text: str) -> list[str]:
    """Split on ``\\n`` only (``str.splitlines`` also splits on form feeds and others)."""
    lines = [line + "\n" for line in text.split("\n")]
    lines[-1] = lines[-1][:-1]
    return lines if lines[-1] else lines[:-1]
