"""Writing, checking, diffing and cleaning the generated package on disk."""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Mapping
from pathlib import Path

import pytest

import loomgen
from loomgen import emit
from loomgen.emit import (
    MANIFEST,
    Changes,
    EmitError,
    check_package,
    clean_package,
    diff_package,
    plan_changes,
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

    assert changes == Changes(created=tuple(sorted(V1)))
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

    assert plan_changes(output, wanted).kept_modified == ("shop/billing.py",)
    changes = write_package(output, wanted)

    assert changes.kept_modified == ("shop/billing.py",)
    assert changes.deleted == ()
    assert (output / "shop" / "billing.py").read_text() == "BILLING = 'mine'\n"
    assert "shop/billing.py" not in manifest(output)["files"]  # type: ignore[operator]
    # Ownership was given up: from now on it is an ordinary orphan.
    assert write_package(output, wanted).orphaned == ("shop/billing.py",)


def test_hand_edited_wanted_file_is_regenerated(tmp_path: Path) -> None:
    output = tmp_path / "gen"
    write_package(output, V1)
    (output / "shop" / "orders.py").write_text("tampered\n")

    assert check_package(output, V1) == ["changed: shop/orders.py"]
    assert write_package(output, V1).updated == ("shop/orders.py",)
    assert check_package(output, V1) == []


def test_orphans_are_reported_and_left_alone(tmp_path: Path) -> None:
    output = tmp_path / "gen"
    write_package(output, V1)
    (output / "stray.py").write_text("mine\n")
    (output / "shop" / "notes.txt").write_text("not python\n")
    (output / "shop" / "__pycache__").mkdir()
    (output / "shop" / "__pycache__" / "cached.py").write_text("")

    changes = write_package(output, V1)

    assert changes.orphaned == ("stray.py",)
    assert (output / "stray.py").read_text() == "mine\n"
    assert (output / "shop" / "notes.txt").exists()


def test_corrupt_manifest_owns_nothing(tmp_path: Path) -> None:
    output = tmp_path / "gen"
    write_package(output, V1)
    (output / MANIFEST).write_text("{not json")

    changes = write_package(output, {"__init__.py": V1["__init__.py"]})

    # Nothing is deleted without a record of ownership; the manifest is repaired.
    assert changes.deleted == ()
    assert changes.orphaned == ("shop/__init__.py", "shop/billing.py", "shop/orders.py")
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
        "orphaned: old.py",
        "changed: shop/billing.py",
        "missing: shop/orders.py",
        "orphaned: stray.py",
    ]
    (output / "stray.py").unlink()
    write_package(output, wanted)
    assert check_package(output, wanted) == []


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
        kept_modified=("shop/billing.py",),
        orphaned=("stray.py",),
    )
    assert snapshot(output) == {"shop/billing.py": b"edited\n", "stray.py": b""}


def test_clean_removes_the_emptied_output_folder(tmp_path: Path) -> None:
    output = tmp_path / "gen"
    write_package(output, V1)
    assert clean_package(output) == Changes(deleted=tuple(sorted(V1)))
    assert not output.exists()
    assert clean_package(output) == Changes()


# -- crash safety --------------------------------------------------------------

OLD = {"__init__.py": "", "a.py": "a1\n", "b.py": "b1\n", "sub/c.py": "c1\n", "gone.py": "g\n"}
NEW = {"__init__.py": "", "a.py": "a2\n", "b.py": "b1\n", "sub/c.py": "c2\n", "new/d.py": "d\n"}


def assert_each_file_old_or_new(
    output: Path, old: Mapping[str, str], new: Mapping[str, str]
) -> None:
    for rel in sorted({*old, *new}):
        path = output / rel
        found = path.read_text() if path.exists() else None
        assert found in (old.get(rel), new.get(rel)), rel
    assert not list(output.rglob("*.loomgen-tmp"))


@pytest.mark.parametrize("fail_at", [1, 2, 3, 4])
def test_crash_during_replace_leaves_old_or_new_and_rerun_repairs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fail_at: int
) -> None:
    output = tmp_path / "gen"
    write_package(output, OLD)
    old_manifest = (output / MANIFEST).read_bytes()
    real_replace = os.replace
    calls: list[str] = []

    def replace(source: str | os.PathLike[str], target: str | os.PathLike[str]) -> None:
        calls.append(Path(target).name)
        if len(calls) == fail_at:
            raise OSError("disk on fire")
        real_replace(source, target)

    monkeypatch.setattr(os, "replace", replace)
    with pytest.raises(OSError, match="disk on fire"):
        write_package(output, NEW)
    monkeypatch.setattr(os, "replace", real_replace)

    # 3 files are written, then the manifest: it is always the last replace.
    assert len(calls) == fail_at
    assert (calls[-1] == MANIFEST) is (fail_at == 4)
    assert (output / MANIFEST).read_bytes() == old_manifest
    assert_each_file_old_or_new(output, OLD, NEW)

    write_package(output, NEW)
    assert check_package(output, NEW) == []
    assert set(snapshot(output)) == {*NEW, MANIFEST}


def test_manifest_is_written_last(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    output = tmp_path / "gen"
    write_package(output, OLD)
    events: list[str] = []
    real_replace, real_unlink = os.replace, Path.unlink

    def replace(source: str | os.PathLike[str], target: str | os.PathLike[str]) -> None:
        events.append(f"write {Path(target).relative_to(output).as_posix()}")
        real_replace(source, target)

    def unlink(self: Path, missing_ok: bool = False) -> None:
        if self.is_relative_to(output) and not self.name.endswith(".loomgen-tmp"):
            events.append(f"delete {self.relative_to(output).as_posix()}")
        real_unlink(self, missing_ok=missing_ok)

    monkeypatch.setattr(os, "replace", replace)
    monkeypatch.setattr(Path, "unlink", unlink)
    write_package(output, NEW)

    assert events == [
        "write new/d.py",
        "write a.py",
        "write sub/c.py",
        "delete gone.py",
        f"write {MANIFEST}",
    ]


def test_crash_during_delete_then_rerun_repairs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    output = tmp_path / "gen"
    write_package(output, OLD)
    real_unlink = Path.unlink

    def unlink(self: Path, missing_ok: bool = False) -> None:
        if self.name == "gone.py":
            raise OSError("power cut")
        real_unlink(self, missing_ok=missing_ok)

    monkeypatch.setattr(Path, "unlink", unlink)
    with pytest.raises(OSError, match="power cut"):
        write_package(output, NEW)
    monkeypatch.setattr(Path, "unlink", real_unlink)

    assert_each_file_old_or_new(output, OLD, NEW)
    assert "gone.py" in manifest(output)["files"]  # type: ignore[operator]
    assert write_package(output, NEW).deleted == ("gone.py",)
    assert check_package(output, NEW) == []


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
