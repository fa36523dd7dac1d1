"""Changes to files that can be undone: staged beside their targets, committed
by renames that keep the old file as a hidden backup, rolled back newest first.

:mod:`loomgen.emit` writes and cleans the generated package through it; a
process killed half-way leaves the backups for :func:`loomgen.emit.recover`.
"""

from __future__ import annotations

import errno
import os
import secrets
from pathlib import Path

TEMP_SUFFIX = ".loomgen-tmp"
"""How a staged file's hidden name ends."""
BACKUP_SUFFIX = ".loomgen-old"
"""How a backup's hidden name ends."""


class Transaction:
    """File operations in the output folder that can be undone, newest last."""

    def __init__(self) -> None:
        self._done: list[tuple[Path, Path | None]] = []
        """``(target, backup)``: undo puts ``backup`` back, or removes ``target`` if none."""
        self._temps: list[Path] = []
        self._backups: list[Path] = []
        self._folders: list[Path] = []
        self._touched: set[Path] = set()

    def stage(self, target: Path, data: bytes) -> Path:
        """Write ``data`` to a hidden temporary file beside ``target``; return its path."""
        self._make_folders(target.parent)
        try:
            mode = target.stat().st_mode & 0o777
        except FileNotFoundError:
            mode = 0o644
        temp = _hidden_twin(target, TEMP_SUFFIX)
        handle = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        self._temps.append(temp)
        try:
            view = memoryview(data)
            while view:
                view = view[os.write(handle, view) :]
            os.fchmod(handle, mode)
            os.fsync(handle)
        finally:
            os.close(handle)
        return temp

    def replace(self, temp: Path, target: Path) -> None:
        """Put the staged ``temp`` in place of ``target``, keeping the old file as a backup."""
        backup = self._backup(target, link=True) if os.path.lexists(target) else None
        self._done.append((target, backup))
        self._touched.add(target.parent)
        os.replace(temp, target)
        self._temps.remove(temp)

    def remove(self, target: Path) -> None:
        """Take ``target`` away (into a backup, until :meth:`finish`)."""
        self._done.append((target, self._backup(target, link=False)))
        self._touched.add(target.parent)

    def _backup(self, target: Path, *, link: bool) -> Path:
        backup = _hidden_twin(target, BACKUP_SUFFIX)
        if link:
            try:
                os.link(target, backup)  # readers keep seeing the old file until the replace
            except OSError as error:
                if error.errno not in _NO_HARD_LINKS:
                    raise
                link = False
        if not link:
            os.replace(target, backup)
        self._backups.append(backup)
        return backup

    def _make_folders(self, folder: Path) -> None:
        missing: list[Path] = []
        while not folder.exists():
            missing.append(folder)
            folder = folder.parent
        for created in reversed(missing):
            os.mkdir(created)
            self._folders.append(created)

    def rollback(self) -> None:
        """Undo everything, newest first. A step that cannot be undone leaves its
        backup behind, which the next write or clean puts back (see :func:`recover`)."""
        for target, backup in reversed(self._done):
            try:
                if backup is None:
                    os.unlink(target)
                else:
                    os.replace(backup, target)
                    self._backups.remove(backup)
                    if os.path.lexists(backup):  # a link to ``target``: rename did nothing
                        os.unlink(backup)
            except OSError:
                pass
        for temp in self._temps:
            _unlink_quietly(temp)
        for folder in reversed(self._folders):
            try:
                os.rmdir(folder)
            except OSError:
                pass

    def finish(self) -> None:
        """Everything is in place: drop the backups and make the renames durable."""
        for backup in self._backups:
            _unlink_quietly(backup)
        for folder in sorted(self._touched):
            _fsync_folder(folder)


_NO_HARD_LINKS = {errno.EPERM, errno.EOPNOTSUPP, errno.ENOTSUP, errno.EMLINK, errno.ENOSYS}


def _hidden_twin(target: Path, suffix: str) -> Path:
    """A hidden, unique name beside ``target`` (never a module: it starts with a dot)."""
    return target.with_name(f".{target.name}.{secrets.token_hex(4)}{suffix}")


def _unlink_quietly(path: Path) -> None:
    try:
        os.unlink(path)
    except OSError:
        pass


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
