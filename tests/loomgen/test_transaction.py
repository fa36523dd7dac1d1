"""File changes that can be undone: staged, committed by renames, rolled back."""

from __future__ import annotations

from pathlib import Path

from loomgen.transaction import BACKUP_SUFFIX, TEMP_SUFFIX, Transaction


def files(folder: Path) -> dict[str, bytes]:
    return {
        path.relative_to(folder).as_posix(): path.read_bytes()
        for path in sorted(folder.rglob("*"))
        if path.is_file()
    }


def start(folder: Path) -> dict[str, bytes]:
    (folder / "kept.py").write_bytes(b"KEPT\n")
    (folder / "old.py").write_bytes(b"OLD\n")
    (folder / "gone.py").write_bytes(b"GONE\n")
    return files(folder)


def change(folder: Path, transaction: Transaction) -> None:
    staged = transaction.stage(folder / "old.py", b"NEW\n")
    created = transaction.stage(folder / "sub" / "made.py", b"MADE\n")
    assert staged.name.startswith(".old.py.") and staged.name.endswith(TEMP_SUFFIX)
    transaction.replace(staged, folder / "old.py")
    transaction.replace(created, folder / "sub" / "made.py")
    transaction.remove(folder / "gone.py")


def test_finish_keeps_the_changes_and_drops_the_backups(tmp_path: Path) -> None:
    start(tmp_path)
    transaction = Transaction()
    change(tmp_path, transaction)
    transaction.finish()
    assert files(tmp_path) == {"kept.py": b"KEPT\n", "old.py": b"NEW\n", "sub/made.py": b"MADE\n"}


def test_rollback_puts_everything_back(tmp_path: Path) -> None:
    before = start(tmp_path)
    transaction = Transaction()
    change(tmp_path, transaction)
    backups = [p.name for p in tmp_path.iterdir() if p.name.endswith(BACKUP_SUFFIX)]
    assert len(backups) == 2  # the replaced file and the removed one
    transaction.rollback()
    assert files(tmp_path) == before
    assert not (tmp_path / "sub").exists()  # the folder it made is gone too


def test_rollback_drops_what_was_staged_but_not_committed(tmp_path: Path) -> None:
    before = start(tmp_path)
    transaction = Transaction()
    transaction.stage(tmp_path / "old.py", b"NEW\n")
    transaction.rollback()
    assert files(tmp_path) == before


def test_a_replaced_file_keeps_its_mode(tmp_path: Path) -> None:
    start(tmp_path)
    (tmp_path / "old.py").chmod(0o640)
    transaction = Transaction()
    transaction.replace(transaction.stage(tmp_path / "old.py", b"NEW\n"), tmp_path / "old.py")
    transaction.finish()
    assert (tmp_path / "old.py").stat().st_mode & 0o777 == 0o640
