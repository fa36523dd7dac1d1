"""Check and build on a fresh clone: no build cache, only the committed package.

A generated package records what each module was built from
(``_loomgen_inputs.json``). On a clone without ``.loomgen-cache``, ``check``
and ``build`` reuse every module whose inputs and output are unchanged and
analyse only the others, and never trust a stale record: each kind of change
below is detected, and the result is always what a cold build writes.
"""

from __future__ import annotations

import shutil
import textwrap
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

import loomgen
from loomgen import cache
from loomgen.build import INPUTS, BuildResult, build_package, generate, settle_inputs
from loomgen.discover import discover
from loomgen.emit import plan_changes

SOURCES = {
    "app/__init__.py": "",
    "app/base.py": """
        from typing import Any
        from loom.core.use_case import UseCase

        PROFILE = "full"

        class Audited(UseCase[Any, Any]):
            read_only = True
        """,
    "app/orders.py": """
        from typing import Any
        from loom.core.use_case import LoadById
        from app.base import PROFILE, Audited

        class Order: ...

        class ShowOrder(Audited):
            async def execute(self, order_id: int, order: Any = LoadById(Order, by="order_id", profile=PROFILE)) -> Any:
                return order
        """,
    "app/users.py": """
        from typing import Any
        from loom.core.use_case import UseCase

        class ShowUser(UseCase[Any, Any]):
            async def execute(self, user_id: int) -> Any:
                return user_id
        """,
    "app/helpers.py": "def unrelated() -> int:\n    return 1\n",
}


WITHOUT_USE_CASES = ("app", "app.base", "app.helpers")


@pytest.fixture
def clone(tmp_path: Path) -> Iterator[Path]:
    """A project built once, then "cloned": the package kept, the cache gone."""
    for relative, text in SOURCES.items():
        path = tmp_path / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text).lstrip())
    result = build_package([tmp_path / "app"], tmp_path / "gen", root=tmp_path)
    assert result.files and INPUTS in result.files
    assert result.rebuilt == ("app", "app.base", "app.helpers", "app.orders", "app.users")
    yield tmp_path
    cache.toolchain_digest.cache_clear()


def fresh(root: Path, package: str = "gen") -> BuildResult:
    """What ``check``/``build`` compute on the clone (no build cache)."""
    sources, _ = discover([root / "app"], root=root, exclude=[root / package])
    return generate(sources, package, cache=None, committed=root / package)


def cold(root: Path) -> BuildResult:
    sources, _ = discover([root / "app"], root=root, exclude=[root / "gen"])
    return generate(sources, "gen", cache=None)


def agrees_with_a_cold_build(root: Path, result: BuildResult) -> None:
    """Reuse never changes the answer: the files are what a cold build writes."""
    assert settle_inputs(root / "gen", result.files) == settle_inputs(
        root / "gen", cold(root).files
    )


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new, 1))


def test_an_unchanged_clone_analyses_nothing_and_is_up_to_date(clone: Path) -> None:
    result = fresh(clone)
    # Modules without use cases are not recorded, so they are read again (cheap).
    assert result.rebuilt == WITHOUT_USE_CASES
    changes = plan_changes(clone / "gen", settle_inputs(clone / "gen", result.files))
    assert not changes.changes_anything
    agrees_with_a_cold_build(clone, result)


@pytest.mark.parametrize(
    ("path", "old", "new", "rebuilt"),
    [
        ("app/users.py", "return user_id", "return user_id + 1", {"app.users"}),
        # A constant and a base class in another scanned module: its users rebuild.
        ("app/base.py", 'PROFILE = "full"', 'PROFILE = "summary"', {"app.orders", "app.base"}),
        ("app/base.py", "read_only = True", "read_only = False", {"app.orders", "app.base"}),
    ],
    ids=["source", "dependency-constant", "dependency-base-class"],
)
def test_a_changed_source_rebuilds_exactly_what_read_it(
    clone: Path, path: str, old: str, new: str, rebuilt: set[str]
) -> None:
    edit(clone / path, old, new)
    result = fresh(clone)
    assert set(result.rebuilt) - set(WITHOUT_USE_CASES) == rebuilt - set(WITHOUT_USE_CASES)
    agrees_with_a_cold_build(clone, result)


def test_a_body_edit_needs_no_rebuild_and_no_commit(clone: Path) -> None:
    edit(clone / "app/users.py", "return user_id", "return user_id + 1")
    files = settle_inputs(clone / "gen", fresh(clone).files)
    assert not plan_changes(clone / "gen", files).changes_anything


def test_an_edited_generated_file_is_rebuilt_and_reported(clone: Path) -> None:
    target = clone / "gen" / "app" / "users.py"
    target.write_text(target.read_text() + "# hand edit\n")
    result = fresh(clone)
    assert "app.users" in result.rebuilt
    changes = plan_changes(clone / "gen", settle_inputs(clone / "gen", result.files))
    assert "app/users.py" in [unowned.path for unowned in changes.blocked]


def test_another_output_package_rebuilds_everything(clone: Path) -> None:
    shutil.copytree(clone / "gen", clone / "other")
    result = fresh(clone, package="other")
    assert set(result.rebuilt) == {"app", "app.base", "app.helpers", "app.orders", "app.users"}


def _upgrade_loomgen(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(loomgen, "__version__", "99.0")


def _upgrade_black(monkeypatch: pytest.MonkeyPatch) -> None:
    real = cache.tool_version
    monkeypatch.setattr(
        cache, "tool_version", lambda package: "99.0" if package == "black" else real(package)
    )


def _edit_templates(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    folder = tmp_path / "templates-edited"
    real = cache._templates_folder()
    assert real is not None
    shutil.copytree(real, folder)
    (folder / "macros.jinja").write_text((folder / "macros.jinja").read_text() + "{# edit #}\n")
    monkeypatch.setattr(cache, "_templates_folder", lambda: folder)


TOOLCHAIN_CHANGES: list[Callable[[pytest.MonkeyPatch, Path], None]] = [
    lambda m, t: _upgrade_loomgen(m),
    lambda m, t: _upgrade_black(m),
    _edit_templates,
]


@pytest.mark.parametrize(
    "upgrade", TOOLCHAIN_CHANGES, ids=["loomgen-version", "black-version", "templates"]
)
def test_a_toolchain_change_rebuilds_everything(
    clone: Path,
    tmp_path_factory: pytest.TempPathFactory,
    monkeypatch: pytest.MonkeyPatch,
    upgrade: Callable[[pytest.MonkeyPatch, Path], None],
) -> None:
    upgrade(monkeypatch, tmp_path_factory.mktemp("toolchain"))
    cache.toolchain_digest.cache_clear()
    result = fresh(clone)
    # Nothing recorded by another toolchain is trusted: every module is built again...
    assert set(result.rebuilt) == {"app", "app.base", "app.helpers", "app.orders", "app.users"}
    # ...and the answer is a cold build's (the package is out of date exactly when
    # the new toolchain writes other bytes: here only the loomgen version does).
    agrees_with_a_cold_build(clone, result)
    changes = plan_changes(clone / "gen", settle_inputs(clone / "gen", result.files))
    assert changes.changes_anything == (upgrade is TOOLCHAIN_CHANGES[0])
