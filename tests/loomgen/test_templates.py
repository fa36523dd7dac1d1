"""Where loomgen's templates are found, and how they are packaged.

The templates are the repository's top-level ``templates/`` folder, a regular
package installed as ``loomgen.templates``; :mod:`loomgen.render.templates`
reads them as that package's resources, with no other place to look, and the
toolchain digest hashes the same folder. ``make wheel-smoke`` checks the same
from an installed wheel.
"""

from __future__ import annotations

import tomllib
from importlib import resources
from pathlib import Path

import jinja2
import pytest

from loomgen import cache
from loomgen.render.templates import TEMPLATES_PACKAGE, environment, template_source

ROOT = Path(__file__).resolve().parents[2]
TEMPLATES = sorted(path.name for path in (ROOT / "templates").glob("*.jinja"))


def test_the_templates_package_is_the_top_level_folder() -> None:
    folder = resources.files(TEMPLATES_PACKAGE)
    assert Path(str(folder)).resolve() == (ROOT / "templates").resolve()
    assert cache._templates_folder() == Path(str(folder))
    assert {"macros.jinja", "module.py.jinja", "package.py.jinja", "registry.py.jinja"} <= set(
        TEMPLATES
    )


@pytest.mark.parametrize("name", TEMPLATES)
def test_every_template_loads_from_the_package(name: str) -> None:
    assert template_source(name) == (ROOT / "templates" / name).read_text("utf-8")
    environment().get_template(name)


def test_a_missing_template_or_view_field_is_an_error() -> None:
    with pytest.raises(FileNotFoundError):
        template_source("nothing.jinja")
    with pytest.raises(jinja2.UndefinedError):
        environment().get_template("package.py.jinja").render()


def test_pyproject_packages_loomgen_and_its_templates() -> None:
    setuptools = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]
    assert setuptools["package-dir"] == {TEMPLATES_PACKAGE: "templates"}
    assert setuptools["package-data"][TEMPLATES_PACKAGE] == ["*.jinja"]
    on_disk = {
        ".".join(init.parent.relative_to(ROOT).parts)
        for top in ("loom", "loomgen")
        for init in (ROOT / top).rglob("__init__.py")
    }
    assert on_disk | {TEMPLATES_PACKAGE} == set(setuptools["packages"])
