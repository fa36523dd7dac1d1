"""Finding source modules and naming them the way Python imports them."""

from __future__ import annotations

import os
import random
from pathlib import Path

import pytest

from loomgen.diagnostics import Diagnostic, Severity
from loomgen.discover import SourceFile, discover


def touch(root: Path, *relatives: str) -> None:
    for relative in relatives:
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("")


def modules(files: list[SourceFile]) -> list[tuple[str, str]]:
    return [(f.module, f.display) for f in files]


def messages(diagnostics: list[Diagnostic]) -> list[tuple[str, str, str]]:
    return [(d.path, d.severity.value, d.message) for d in diagnostics]


def test_nested_packages(tmp_path: Path) -> None:
    touch(
        tmp_path,
        "shop/__init__.py",
        "shop/orders.py",
        "shop/billing/__init__.py",
        "shop/billing/invoices.py",
        "shop/notes.txt",
    )

    files, diagnostics = discover([tmp_path / "shop"], root=tmp_path)

    assert diagnostics == []
    assert modules(files) == [
        ("shop", "shop/__init__.py"),
        ("shop.billing", "shop/billing/__init__.py"),
        ("shop.billing.invoices", "shop/billing/invoices.py"),
        ("shop.orders", "shop/orders.py"),
    ]
    first = files[0]
    assert first.path == tmp_path / "shop" / "__init__.py"
    assert first == SourceFile(path=first.path, display="shop/__init__.py", module="shop")


def test_src_layout_and_outer_folders(tmp_path: Path) -> None:
    # src/ and examples/ are no packages: they are import roots.
    touch(
        tmp_path,
        "src/app/__init__.py",
        "src/app/usecases/__init__.py",
        "src/app/usecases/place_order.py",
        "examples/shop/__init__.py",
        "examples/shop/cart.py",
    )

    files, diagnostics = discover([tmp_path / "src", tmp_path / "examples" / "shop"], root=tmp_path)

    assert diagnostics == []
    assert modules(files) == [
        ("app", "src/app/__init__.py"),
        ("app.usecases", "src/app/usecases/__init__.py"),
        ("app.usecases.place_order", "src/app/usecases/place_order.py"),
        ("shop", "examples/shop/__init__.py"),
        ("shop.cart", "examples/shop/cart.py"),
    ]


def test_single_file_gets_its_package_name(tmp_path: Path) -> None:
    touch(tmp_path, "src/app/__init__.py", "src/app/sub/__init__.py", "src/app/sub/mod.py")
    touch(tmp_path, "scripts/tool.py")

    files, diagnostics = discover(
        [Path("src/app/sub/mod.py"), tmp_path / "scripts" / "tool.py"], root=tmp_path
    )

    assert diagnostics == []
    assert modules(files) == [("app.sub.mod", "src/app/sub/mod.py"), ("tool", "scripts/tool.py")]


def test_folder_without_init_below_a_source_is_its_own_import_root(tmp_path: Path) -> None:
    touch(tmp_path, "src/loose/one.py", "src/loose/pkg/__init__.py", "src/loose/pkg/two.py")

    files, _ = discover([tmp_path / "src"], root=tmp_path)

    assert [f.module for f in files] == ["one", "pkg", "pkg.two"]


def test_skips_pycache_hidden_and_non_python(tmp_path: Path) -> None:
    touch(
        tmp_path,
        "app/__init__.py",
        "app/__pycache__/cached.py",
        "app/.hidden/secret.py",
        "app/.dot.py",
        "app/data.json",
    )

    files, diagnostics = discover([tmp_path / "app"], root=tmp_path)

    assert diagnostics == []
    assert [f.module for f in files] == ["app"]


def test_missing_path_and_not_python(tmp_path: Path) -> None:
    touch(tmp_path, "README.md")

    files, diagnostics = discover([tmp_path / "nope", tmp_path / "README.md"], root=tmp_path)

    assert files == []
    assert messages(diagnostics) == [
        (
            "README.md",
            "error",
            "not a Python source file (expected a .py file or a package folder)",
        ),
        ("nope", "error", "source path does not exist"),
    ]
    assert all((d.line, d.column) == (1, 1) for d in diagnostics)


def test_non_identifier_names_cannot_be_imported(tmp_path: Path) -> None:
    touch(
        tmp_path,
        "app/__init__.py",
        "app/good.py",
        "app/bad-name.py",
        "app/class.py",
        "app/my-sub/__init__.py",
        "app/my-sub/inner.py",
        "app/my-sub/deeper.py",
        "app/assets-dir/readme.txt",
    )

    files, diagnostics = discover([tmp_path / "app"], root=tmp_path)

    assert [f.module for f in files] == ["app", "app.good"]
    assert [(d.path, d.severity) for d in diagnostics] == [
        ("app/bad-name.py", Severity.WARNING),
        ("app/class.py", Severity.WARNING),
        ("app/my-sub", Severity.WARNING),  # one report for the folder, not per file
    ]
    assert "file name 'bad-name.py' is not a valid Python identifier" in diagnostics[0].message
    assert "folder name 'my-sub'" in diagnostics[2].message


def test_same_module_twice_is_an_error(tmp_path: Path) -> None:
    touch(tmp_path, "one/pkg/__init__.py", "one/pkg/m.py", "two/pkg/__init__.py", "two/pkg/m.py")

    files, diagnostics = discover([tmp_path / "one", tmp_path / "two"], root=tmp_path)

    assert modules(files) == [("pkg", "one/pkg/__init__.py"), ("pkg.m", "one/pkg/m.py")]
    assert messages(diagnostics) == [
        (
            "two/pkg/__init__.py",
            "error",
            "module 'pkg' is reached twice: one/pkg/__init__.py and two/pkg/__init__.py",
        ),
        ("two/pkg/m.py", "error", "module 'pkg.m' is reached twice: one/pkg/m.py and two/pkg/m.py"),
    ]


def test_overlapping_sources_list_a_file_once(tmp_path: Path) -> None:
    touch(tmp_path, "app/__init__.py", "app/m.py")

    files, diagnostics = discover(
        [tmp_path / "app", tmp_path / "app" / "m.py", tmp_path / "app"], root=tmp_path
    )

    assert diagnostics == []
    assert [f.module for f in files] == ["app", "app.m"]


def test_excluded_output_folder(tmp_path: Path) -> None:
    touch(
        tmp_path, "app/__init__.py", "app/m.py", "app/generated/__init__.py", "app/generated/x.py"
    )

    files, diagnostics = discover(
        [tmp_path / "app"], root=tmp_path, exclude=[tmp_path / "app" / "generated"]
    )

    assert diagnostics == []
    assert [f.module for f in files] == ["app", "app.m"]


def test_symlink_outside_root_is_reported_and_not_followed(tmp_path: Path) -> None:
    root = tmp_path / "proj"
    outside = tmp_path / "outside"
    touch(root, "app/__init__.py", "app/m.py")
    touch(outside, "evil/__init__.py", "evil/x.py", "lone.py")
    (root / "app" / "evil").symlink_to(outside / "evil", target_is_directory=True)
    (root / "app" / "lone.py").symlink_to(outside / "lone.py")
    (root / "linked").symlink_to(outside / "evil", target_is_directory=True)

    files, diagnostics = discover([root / "app", root / "linked"], root=root)

    assert [f.module for f in files] == ["app", "app.m"]
    assert [(d.path, d.severity) for d in diagnostics] == [
        ("app/evil", Severity.WARNING),
        ("app/lone.py", Severity.WARNING),
        ("linked", Severity.WARNING),
    ]
    assert all("symlink leads outside the project root" in d.message for d in diagnostics)


def test_symlink_inside_root_is_followed_once(tmp_path: Path) -> None:
    touch(tmp_path, "app/__init__.py", "app/m.py", "shared/__init__.py", "shared/util.py")
    (tmp_path / "app" / "shared").symlink_to(tmp_path / "shared", target_is_directory=True)
    (tmp_path / "app" / "loop").symlink_to(tmp_path / "app", target_is_directory=True)

    files, diagnostics = discover([tmp_path / "app", tmp_path / "shared"], root=tmp_path)

    # app/shared/util.py and shared/util.py are one file: kept under its first name.
    assert [f.module for f in files] == ["app", "app.m", "app.shared", "app.shared.util"]
    assert [(d.path, d.severity) for d in diagnostics] == [
        ("app/loop", Severity.WARNING),
        ("shared/__init__.py", Severity.WARNING),
        ("shared/util.py", Severity.WARNING),
    ]
    assert "symlink loop" in diagnostics[0].message
    assert "same file as app/shared/util.py" in diagnostics[2].message


def test_path_outside_root_is_an_error(tmp_path: Path) -> None:
    touch(tmp_path, "other/x.py")
    (tmp_path / "proj").mkdir()

    files, diagnostics = discover([tmp_path / "other"], root=tmp_path / "proj")

    assert files == []
    assert len(diagnostics) == 1
    assert "outside the project root" in diagnostics[0].message


def test_empty_source_folder_warns(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()

    files, diagnostics = discover([tmp_path / "empty"], root=tmp_path)

    assert files == []
    assert messages(diagnostics) == [
        ("empty", "warning", "no Python files found in this source folder")
    ]


def test_deterministic(tmp_path: Path) -> None:
    names = [f"m{i:02d}" for i in range(30)]
    random.Random(7).shuffle(names)
    for name in names:
        # bad-*/x.py: 30 import roots that all define module "x" (duplicate errors)
        touch(tmp_path, f"pkg/{name}.py", f"pkg/sub_{name}/__init__.py", f"bad-{name}/x.py")
    touch(tmp_path, "pkg/__init__.py")
    sources = [tmp_path / "pkg", tmp_path / "missing", *(tmp_path / f"bad-{n}" for n in names)]

    first = discover(sources, root=tmp_path)
    second = discover(list(reversed(sources)), root=tmp_path)

    assert first == second
    files, diagnostics = first
    assert [f.module for f in files] == sorted(f.module for f in files)
    assert diagnostics == sorted(diagnostics)


def test_relative_root_and_paths(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    touch(tmp_path, "app/__init__.py")
    monkeypatch.chdir(tmp_path)

    files, diagnostics = discover([Path("app")], root=Path("."))

    assert diagnostics == []
    assert files == [SourceFile(tmp_path / "app" / "__init__.py", "app/__init__.py", "app")]
    assert os.path.isabs(files[0].path)


def test_a_missing_source_offers_the_closest_existing_path(tmp_path: Path) -> None:
    touch(tmp_path, "library/__init__.py", "library/books.py")

    _, diagnostics = discover([Path("libary"), Path("library/bokos.py")], root=tmp_path)

    assert messages(diagnostics) == [
        ("libary", "error", "source path does not exist (did you mean 'library'?)"),
        (
            "library/bokos.py",
            "error",
            "source path does not exist (did you mean 'library/books.py'?)",
        ),
    ]


def test_a_source_folder_without_init_holding_modules_is_a_namespace_package(
    tmp_path: Path,
) -> None:
    """``app/ucs.py`` with no ``app/__init__.py`` is imported as ``app.ucs``
    (PEP 420); its use cases must be compiled under that name."""
    touch(tmp_path, "app/ucs.py", "app/sub/more.py", "app/pkg/__init__.py", "app/pkg/m.py")

    files, diagnostics = discover([Path("app")], root=tmp_path)

    assert diagnostics == []
    assert [f.module for f in files] == [
        "app.pkg",
        "app.pkg.m",
        "app.sub.more",
        "app.ucs",
    ]
