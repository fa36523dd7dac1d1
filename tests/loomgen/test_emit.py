"""Writing, checking, diffing and cleaning the generated package on disk."""

from __future__ import annotations

import errno
import hashlib
import json
import os
from pathlib import Path
from typing import Any
from unittest.mock import ANY

import pytest

import loomgen
from loomgen import emit
from loomgen.transaction import Transaction
from loomgen.emit import (
    CHANGED_BY_HAND,
    MANIFEST,
    NOT_IN_MANIFEST,
    NOT_LOOMGENS,
    Changes,
    EmitError,
    NotOwnedError,
    Unowned,
    check_package,
    clean_package,
    diff_package,
    plan_changes,
    plan_package,
    replan,
    write_package,
)

V1 = {
    "__init__.py": '"""Generated."""\n',
    "shop/__init__.py": "",
    "shop/orders.py": "ORDERS = 1\n",
    "shop/billing.py": "BILLING = 1\n",
}


def snapshot(output: Path) -> dict[str, bytes]:
    """Every file under ``output`` (including caches and the manifest)."""
    return {
        path.relative_to(output).as_posix(): path.read_bytes()
        for path in sorted(output.rglob("*"))
        if path.is_file()
    }


def manifest(output: Path) -> dict[str, object]:
    data = json.loads((output / MANIFEST).read_text())
    assert isinstance(data, dict)
    return data


def sha(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def age(path: Path, seconds: int = 1_000_000) -> int:
    """Set ``path``'s mtime into the past and return it (in ns)."""
    stamp = path.stat().st_mtime_ns - seconds * 1_000_000_000
    os.utime(path, ns=(stamp, stamp))
    return stamp


def test_creates_package_and_manifest(tmp_path: Path) -> None:
    output = tmp_path / "gen"

    changes = write_package(output, V1)

    assert changes == Changes(created=tuple(sorted(V1)), manifest_changed=True)
    assert {rel: (output / rel).read_text() for rel in V1} == V1
    text = (output / MANIFEST).read_text()
    assert text.endswith("}\n")
    assert json.loads(text) == {
        "files": {rel: sha(content) for rel, content in V1.items()},
        "loomgen": loomgen.__version__,
    }
    assert text == emit.manifest_text(dict(reversed(list(V1.items()))))  # stable, sorted keys
    assert not list(output.rglob("*.loomgen-tmp"))


def test_unchanged_files_are_not_rewritten(tmp_path: Path) -> None:
    output = tmp_path / "gen"
    write_package(output, V1)
    stamps = {rel: age(output / rel) for rel in [*V1, MANIFEST]}

    changes = write_package(output, V1)

    assert changes == Changes(unchanged=tuple(sorted(V1)))
    assert {rel: (output / rel).stat().st_mtime_ns for rel in stamps} == stamps


def test_updates_only_changed_files(tmp_path: Path) -> None:
    output = tmp_path / "gen"
    write_package(output, V1)
    (output / "shop" / "orders.py").chmod(0o600)
    stamp = age(output / "shop" / "billing.py")

    changes = write_package(output, {**V1, "shop/orders.py": "ORDERS = 2\n"})

    assert changes.updated == ("shop/orders.py",)
    assert changes.unchanged == ("__init__.py", "shop/__init__.py", "shop/billing.py")
    assert (output / "shop" / "orders.py").read_text() == "ORDERS = 2\n"
    assert (output / "shop" / "orders.py").stat().st_mode & 0o777 == 0o600  # mode kept
    assert (output / "shop" / "billing.py").stat().st_mtime_ns == stamp
    assert manifest(output)["files"] == {
        **{rel: sha(text) for rel, text in V1.items()},
        "shop/orders.py": sha("ORDERS = 2\n"),
    }


def test_deletes_owned_files_and_empty_folders(tmp_path: Path) -> None:
    output = tmp_path / "gen"
    write_package(output, {**V1, "old/pkg/__init__.py": "", "old/pkg/x.py": "X\n"})
    (output / "old" / "pkg" / "__pycache__").mkdir()
    (output / "old" / "pkg" / "__pycache__" / "x.cpython-311.pyc").write_bytes(b"\0")

    changes = write_package(output, V1)

    assert changes.deleted == ("old/pkg/__init__.py", "old/pkg/x.py")
    assert not (output / "old").exists()
    assert set(snapshot(output)) == {*V1, MANIFEST}


def test_keeps_hand_edited_files_that_are_no_longer_wanted(tmp_path: Path) -> None:
    output = tmp_path / "gen"
    write_package(output, V1)
    (output / "shop" / "billing.py").write_text("BILLING = 'mine'\n")
    wanted = {rel: text for rel, text in V1.items() if rel != "shop/billing.py"}

    edited = (Unowned("shop/billing.py", CHANGED_BY_HAND),)
    assert plan_changes(output, wanted).kept == edited
    changes = write_package(output, wanted)

    assert changes.kept == edited
    assert changes.deleted == ()
    assert (output / "shop" / "billing.py").read_text() == "BILLING = 'mine'\n"
    assert "shop/billing.py" not in manifest(output)["files"]  # type: ignore[operator]
    # Ownership was given up: from now on it is an ordinary file of the user's.
    assert write_package(output, wanted).kept == (Unowned("shop/billing.py", NOT_LOOMGENS),)
    assert check_package(output, wanted) == []  # kept files never make the package stale


def test_hand_edited_wanted_file_blocks_the_write(tmp_path: Path) -> None:
    output = tmp_path / "gen"
    write_package(output, V1)
    (output / "shop" / "orders.py").write_text("tampered\n")
    wanted = {**V1, "shop/billing.py": "BILLING = 2\n"}
    before = snapshot(output)

    with pytest.raises(NotOwnedError) as caught:
        write_package(output, wanted)

    assert caught.value.files == (Unowned("shop/orders.py", CHANGED_BY_HAND),)
    assert snapshot(output) == before  # not even the owned billing.py was rewritten
    assert check_package(output, wanted) == [
        f"changed: {MANIFEST}",
        "changed: shop/billing.py",
        f"not owned ({CHANGED_BY_HAND}): shop/orders.py",
    ]
    changes = write_package(output, wanted, force=True)
    assert changes.blocked == caught.value.files
    assert changes.updated == ("shop/billing.py",)
    assert check_package(output, wanted) == []


@pytest.mark.parametrize(
    "rel, disk, text",
    [
        ("shop/orders.py", None, "ORDERS = 1\n"),  # as on disk: unchanged
        ("shop/orders.py", None, "ORDERS = 2\n"),  # owned: updated
        ("shop/orders.py", "tampered\n", "ORDERS = 3\n"),  # edited by hand: blocked
        ("shop/orders.py", "tampered\n", "tampered\n"),  # the hand edit is wanted
        ("shop/new.py", None, "NEW = 1\n"),  # absent: created
    ],
)
def test_replan_agrees_with_planning_again(
    tmp_path: Path, rel: str, disk: str | None, text: str
) -> None:
    """Changing one wanted file of a plan reads two files, and says what a new
    plan says (settling the inputs record relies on it)."""
    output = tmp_path / "gen"
    write_package(output, V1)
    (output / "stray.py").write_text("MINE = 1\n")  # kept: stays kept
    if disk is not None:
        (output / rel).write_text(disk)
    wanted = {**V1, "shop/new.py": "NEW = 0\n", "shop/billing.py": "BILLING = 2\n"}
    wanted.pop("__init__.py")  # owned and no longer wanted: deleted

    again = replan(plan_package(output, wanted), rel, text)

    assert again == plan_package(output, {**wanted, rel: text})
    with pytest.raises(ValueError, match="not a path of the plan"):
        replan(again, "elsewhere.py", "")


def test_files_loomgen_does_not_own_are_never_overwritten(tmp_path: Path) -> None:
    """The user's ``__init__.py`` and module in the default output folder."""
    output = tmp_path / "generated"
    output.mkdir()
    (output / "__init__.py").write_text("from .api_pb2 import *\n")
    (output / "api_pb2.py").write_text("MESSAGE = 1\n")
    (output / "shop").mkdir()
    (output / "shop" / "orders.py").write_text("# Code generated by loomgen. DO NOT EDIT.\nX = 0\n")
    before = snapshot(output)

    with pytest.raises(NotOwnedError) as caught:
        write_package(output, V1)

    assert caught.value.files == (
        Unowned("__init__.py", NOT_LOOMGENS),
        Unowned("shop/orders.py", NOT_IN_MANIFEST),
    )
    assert snapshot(output) == before
    assert plan_changes(output, V1).kept == (Unowned("api_pb2.py", NOT_LOOMGENS),)


def test_unowned_files_with_the_wanted_bytes_are_adopted(tmp_path: Path) -> None:
    """Nothing is lost by owning a file that already holds what loomgen would write
    (the manifest was deleted, or a first build ran into a copy of the package)."""
    output = tmp_path / "gen"
    write_package(output, V1)
    (output / MANIFEST).unlink()

    changes = write_package(output, V1)

    assert changes == Changes(unchanged=tuple(sorted(V1)), manifest_changed=True)
    assert manifest(output)["files"] == {rel: sha(text) for rel, text in V1.items()}


def test_orphans_are_reported_and_left_alone(tmp_path: Path) -> None:
    output = tmp_path / "gen"
    write_package(output, V1)
    (output / "stray.py").write_text("mine\n")
    (output / "shop" / "notes.txt").write_text("not python\n")
    (output / "shop" / "__pycache__").mkdir()
    (output / "shop" / "__pycache__" / "cached.py").write_text("")

    changes = write_package(output, V1)

    assert changes.kept == (Unowned("stray.py", NOT_LOOMGENS),)
    assert (output / "stray.py").read_text() == "mine\n"
    assert (output / "shop" / "notes.txt").exists()


def test_corrupt_manifest_owns_nothing(tmp_path: Path) -> None:
    output = tmp_path / "gen"
    write_package(output, V1)
    (output / MANIFEST).write_text("{not json")

    changes = write_package(output, {"__init__.py": V1["__init__.py"]})

    # Nothing is deleted without a record of ownership; the manifest is repaired.
    assert changes.deleted == ()
    assert [item.path for item in changes.kept] == [
        "shop/__init__.py",
        "shop/billing.py",
        "shop/orders.py",
    ]
    assert manifest(output)["files"] == {"__init__.py": sha(V1["__init__.py"])}


def test_manifest_paths_leading_outside_are_ignored(tmp_path: Path) -> None:
    output = tmp_path / "gen"
    victim = tmp_path / "victim.py"
    victim.write_text("precious\n")
    output.mkdir()
    entry = {"../victim.py": sha("precious\n")}
    (output / MANIFEST).write_text(json.dumps({"files": entry, "loomgen": "0"}))

    clean_package(output)
    assert victim.read_text() == "precious\n"

    output.mkdir()
    (output / MANIFEST).write_text(json.dumps({"files": entry, "loomgen": "0"}))
    assert write_package(output, V1).deleted == ()
    assert victim.read_text() == "precious\n"


@pytest.mark.parametrize(
    "bad",
    [
        "../x.py",
        "/abs.py",
        "a//b.py",
        "a/",
        "a\\b.py",
        "",
        "./a.py",
        "a/../b.py",
        MANIFEST,
        "C:x.py",
    ],
)
def test_invalid_paths_are_refused_before_writing(tmp_path: Path, bad: str) -> None:
    output = tmp_path / "gen"
    write_package(output, V1)
    before = snapshot(output)

    with pytest.raises(EmitError, match="invalid generated path"):
        write_package(output, {**V1, "shop/orders.py": "CHANGED\n", bad: "x = 1\n"})

    assert snapshot(output) == before
    assert not (tmp_path / "x.py").exists()
    assert not Path("/abs.py").exists()


def test_nothing_is_created_when_validation_fails(tmp_path: Path) -> None:
    output = tmp_path / "gen"
    with pytest.raises(EmitError):
        write_package(output, {"a.py": "", "../x.py": ""})
    assert not output.exists()


def test_file_folder_conflict_is_refused(tmp_path: Path) -> None:
    with pytest.raises(EmitError, match="needs 'a.py' to be a folder"):
        write_package(tmp_path / "gen", {"a.py": "", "a.py/b.py": ""})
    with pytest.raises(EmitError, match="differ only in case"):
        write_package(tmp_path / "gen", {"A.py": "", "a.py": ""})


def test_refuses_to_write_through_a_symlinked_folder(tmp_path: Path) -> None:
    output = tmp_path / "gen"
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    output.mkdir()
    (output / "shop").symlink_to(elsewhere, target_is_directory=True)

    with pytest.raises(EmitError, match="symlink"):
        write_package(output, V1)

    assert list(elsewhere.iterdir()) == []
    assert not (output / MANIFEST).exists()


def test_refuses_to_replace_a_symlinked_file(tmp_path: Path) -> None:
    output = tmp_path / "gen"
    target = tmp_path / "target.py"
    target.write_text("keep\n")
    output.mkdir()
    (output / "__init__.py").symlink_to(target)

    with pytest.raises(EmitError, match="symlink"):
        write_package(output, V1)
    assert target.read_text() == "keep\n"


def test_refuses_a_symlinked_output_folder(tmp_path: Path) -> None:
    real = tmp_path / "real"
    real.mkdir()
    (tmp_path / "gen").symlink_to(real, target_is_directory=True)

    with pytest.raises(EmitError, match="symlink"):
        write_package(tmp_path / "gen", V1)
    assert list(real.iterdir()) == []


def test_check_package(tmp_path: Path) -> None:
    output = tmp_path / "gen"
    assert check_package(output, V1) == [
        "missing: __init__.py",
        f"missing: {MANIFEST}",
        "missing: shop/__init__.py",
        "missing: shop/billing.py",
        "missing: shop/orders.py",
    ]
    write_package(output, {**V1, "old.py": "OLD\n"})
    (output / "stray.py").write_text("")
    (output / "shop" / "orders.py").unlink()
    wanted = {**V1, "shop/billing.py": "BILLING = 2\n"}

    assert check_package(output, wanted) == [
        f"changed: {MANIFEST}",
        "obsolete: old.py",
        "changed: shop/billing.py",
        "missing: shop/orders.py",
    ]
    write_package(output, wanted)
    assert check_package(output, wanted) == []
    assert (output / "stray.py").exists()  # the user's: neither stale nor touched


def test_check_reports_stale_manifest(tmp_path: Path) -> None:
    output = tmp_path / "gen"
    write_package(output, V1)
    (output / MANIFEST).unlink()
    assert check_package(output, V1) == [f"missing: {MANIFEST}"]


def test_diff_package(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    output = tmp_path / "gen"
    write_package(output, {"a.py": "one\ntwo\n", "gone.py": "bye\n", "same.py": "same\n"})
    monkeypatch.chdir(tmp_path)

    text = diff_package(output, {"a.py": "one\n2\n", "new.py": "hi", "same.py": "same\n"})

    assert text == (
        "--- a/gen/a.py\n"
        "+++ b/gen/a.py\n"
        "@@ -1,2 +1,2 @@\n"
        " one\n"
        "-two\n"
        "+2\n"
        "--- a/gen/gone.py\n"
        "+++ /dev/null\n"
        "@@ -1 +0,0 @@\n"
        "-bye\n"
        "--- /dev/null\n"
        "+++ b/gen/new.py\n"
        "@@ -0,0 +1 @@\n"
        "+hi\n"
        "\\ No newline at end of file\n"
    )
    assert (
        diff_package(output, {"a.py": "one\ntwo\n", "gone.py": "bye\n", "same.py": "same\n"}) == ""
    )


def test_clean_package(tmp_path: Path) -> None:
    output = tmp_path / "gen"
    write_package(output, V1)
    (output / "shop" / "billing.py").write_text("edited\n")
    (output / "stray.py").write_text("")

    changes = clean_package(output)

    assert changes == Changes(
        deleted=("__init__.py", "shop/__init__.py", "shop/orders.py"),
        kept=(Unowned("shop/billing.py", CHANGED_BY_HAND), Unowned("stray.py", NOT_LOOMGENS)),
    )
    assert snapshot(output) == {"shop/billing.py": b"edited\n", "stray.py": b""}


def test_clean_removes_the_emptied_output_folder(tmp_path: Path) -> None:
    output = tmp_path / "gen"
    write_package(output, V1)
    assert clean_package(output) == Changes(deleted=tuple(sorted(V1)))
    assert not output.exists()
    assert clean_package(output) == Changes()


# -- failure safety --------------------------------------------------------------

OLD = {"__init__.py": "", "a.py": "a1\n", "b.py": "b1\n", "sub/c.py": "c1\n", "gone.py": "g\n"}
NEW = {"__init__.py": "", "a.py": "a2\n", "b.py": "b1\n", "sub/c.py": "c2\n", "new/d.py": "d\n"}

# Every call through which the emitter changes the disk.
MUTATIONS = ("mkdir", "open", "write", "fchmod", "fsync", "link", "replace", "unlink", "rmdir")


def state(folder: Path) -> dict[str, tuple[int, bytes | None]]:
    """Every entry under ``folder`` (hidden ones too): its mode and, for files, its bytes."""
    if not folder.exists():
        return {}
    return {
        path.relative_to(folder).as_posix(): (
            path.stat().st_mode,
            path.read_bytes() if path.is_file() else None,
        )
        for path in sorted(folder.rglob("*"))
    }


class Faults:
    """Makes the ``fail_at``-th disk mutation raise ``error`` (0: never); counts them."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch, error: OSError, fail_at: int) -> None:
        self.count = 0
        self.error = error
        self.fail_at = fail_at
        for name in MUTATIONS:
            monkeypatch.setattr(os, name, self.wrap(name, getattr(os, name)))

    def wrap(self, name: str, real: Any) -> Any:
        def mutation(*args: Any, **kwargs: Any) -> Any:
            if name == "open" and not args[1] & os.O_CREAT:
                return real(*args, **kwargs)  # reading (a folder, for fsync)
            self.count += 1
            if self.count == self.fail_at:
                raise self.error
            return real(*args, **kwargs)

        return mutation


FAULTS = [
    pytest.param(PermissionError(errno.EACCES, "Permission denied"), id="EACCES"),
    pytest.param(OSError(errno.ENOSPC, "No space left on device"), id="ENOSPC"),
]


def count_mutations(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fresh: bool) -> int:
    output = tmp_path / "count" / "gen"
    if not fresh:
        write_package(output, OLD)
    with monkeypatch.context() as patch:
        faults = Faults(patch, OSError("unused"), 0)
        write_package(output, NEW)
    return faults.count


@pytest.mark.parametrize("fresh", [False, True], ids=["over-old", "first-build"])
@pytest.mark.parametrize("error", FAULTS)
def test_a_write_failing_at_any_mutation_leaves_the_package_as_it_was(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, error: OSError, fresh: bool
) -> None:
    total = count_mutations(tmp_path, monkeypatch, fresh)
    assert total >= 20, total
    failed = 0
    for fail_at in range(1, total + 1):
        output = tmp_path / str(fail_at) / "gen"
        if not fresh:
            write_package(output, OLD)
        before = state(output.parent)
        with monkeypatch.context() as patch:
            Faults(patch, error, fail_at)
            try:
                write_package(output, NEW)
            except OSError as raised:
                assert raised is error
                failed += 1
                assert state(output.parent) == before, f"fault at mutation {fail_at}"
                continue
        # A fault after the manifest (dropping a backup, pruning a folder) is harmless:
        # the package is the new one, and the next write drops what was left over.
        assert check_package(output, NEW) == [], f"fault at mutation {fail_at}"
        write_package(output, NEW)
        assert snapshot(output) == {**{rel: t.encode() for rel, t in NEW.items()}, MANIFEST: ANY}
    assert failed >= total - 8, (failed, total)


def test_an_unwritable_folder_is_found_before_the_first_write(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The output folder is read-only, its sub-folder is not: nothing is written."""
    output = tmp_path / "gen"
    write_package(output, OLD)
    before = state(tmp_path)
    real_access = os.access

    def access(path: Any, mode: int, **kwargs: Any) -> bool:
        return Path(path) != output and real_access(path, mode, **kwargs)

    monkeypatch.setattr(os, "access", access)
    with monkeypatch.context() as patch:
        faults = Faults(patch, OSError("unused"), 0)
        with pytest.raises(EmitError, match=f"cannot write in {output} \\(permission denied\\)"):
            write_package(output, NEW)
    assert faults.count == 0
    assert state(tmp_path) == before


def test_a_failed_clean_puts_back_what_it_removed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    output = tmp_path / "gen"
    write_package(output, OLD)
    before = state(output)
    with monkeypatch.context() as patch:
        Faults(patch, PermissionError(errno.EACCES, "Permission denied"), 3)
        with pytest.raises(PermissionError):
            clean_package(output)
    assert state(output) == before


@pytest.mark.parametrize("kill_at", range(1, 33))
def test_a_killed_write_is_put_right_by_the_next_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, kill_at: int
) -> None:
    """Killed half-way, a write undoes nothing; the next write restores the backups
    its manifest vouches for, then does its own work."""
    output = tmp_path / "gen"
    write_package(output, OLD)
    with monkeypatch.context() as patch:
        patch.setattr(Transaction, "rollback", lambda self: None)
        Faults(patch, OSError("killed"), kill_at)
        try:
            write_package(output, NEW)
        except OSError:
            pass
    for rel, text in {**OLD, **NEW}.items():
        if (output / rel).exists():
            assert (output / rel).read_text() in (OLD.get(rel), NEW.get(rel)), rel

    write_package(output, NEW)

    assert check_package(output, NEW) == []
    assert snapshot(output) == {**{rel: t.encode() for rel, t in NEW.items()}, MANIFEST: ANY}


def test_a_killed_write_then_the_old_sources_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Killed before its manifest, a write's replaced files are put back from their
    backups: a build of the old sources finds its own package, not foreign files."""
    output = tmp_path / "gen"
    write_package(output, OLD)
    before = snapshot(output)
    with monkeypatch.context() as patch:
        patch.setattr(Transaction, "rollback", lambda self: None)
        real_replace = os.replace

        def replace(source: Any, target: Any) -> None:
            if Path(target).name == MANIFEST:
                raise OSError("killed")
            real_replace(source, target)

        patch.setattr(os, "replace", replace)
        with pytest.raises(OSError, match="killed"):
            write_package(output, NEW)
    assert (output / "a.py").read_text() == "a2\n"

    changes = write_package(output, OLD)

    assert changes.blocked == ()
    assert snapshot(output) == {**before, "new/d.py": b"d\n"}  # d.py: the user's now
    assert changes.kept == (Unowned("new/d.py", NOT_LOOMGENS),)


def test_the_manifest_is_written_last(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    output = tmp_path / "gen"
    write_package(output, OLD)
    events: list[str] = []
    real_replace = os.replace

    def replace(source: str | os.PathLike[str], target: str | os.PathLike[str]) -> None:
        name = Path(target).relative_to(output).as_posix()
        if name.endswith(".loomgen-old"):
            events.append(f"delete {Path(source).relative_to(output).as_posix()}")
        else:
            events.append(f"write {name}")
        real_replace(source, target)

    monkeypatch.setattr(os, "replace", replace)
    write_package(output, NEW)

    assert events == [
        "write a.py",
        "write new/d.py",
        "write sub/c.py",
        "delete gone.py",
        f"write {MANIFEST}",
    ]


def test_stale_temp_files_are_cleaned_up(tmp_path: Path) -> None:
    output = tmp_path / "gen"
    write_package(output, OLD)
    (output / "sub" / ".c.py.abc123.loomgen-tmp").write_text("half")

    write_package(output, OLD)

    assert not list(output.rglob("*.loomgen-tmp"))


def test_the_registry_is_written_after_the_modules_it_names(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    output = tmp_path / "gen"
    old = {"__init__.py": "REGISTRY = 1\n", "a.py": "A = 1\n", "z/b.py": "B = 1\n"}
    write_package(output, old)
    written: list[str] = []
    real_replace = os.replace

    def replace(source: str | os.PathLike[str], target: str | os.PathLike[str]) -> None:
        written.append(Path(target).relative_to(output).as_posix())
        real_replace(source, target)

    monkeypatch.setattr(os, "replace", replace)
    write_package(output, {path: text.replace("1", "2") for path, text in old.items()})

    assert written == ["a.py", "z/b.py", "__init__.py", MANIFEST]
