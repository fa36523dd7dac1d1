"""Where the templates are, and the jinja2 environment that reads them.

The templates are the top-level ``templates/`` folder of the repository,
installed as the package data ``loomgen.templates`` (see ``pyproject.toml``:
``[tool.setuptools.package-dir]``). An editable install maps the same name
to the folder in the checkout, so both read them the same way.
"""

from __future__ import annotations

from functools import lru_cache
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path

import jinja2


@lru_cache(maxsize=1)
def environment() -> jinja2.Environment:
    """The jinja2 environment over the packaged templates."""
    return jinja2.Environment(
        loader=jinja2.FunctionLoader(_template_source),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        autoescape=False,
    )


def _template_source(name: str) -> str:
    """Templates ship as the ``loomgen.templates`` package data of the wheel;
    in a source checkout they are the top-level ``templates/`` folder."""
    try:
        folder: Traversable = resources.files("loomgen.templates")
    except ModuleNotFoundError:
        folder = Path(__file__).resolve().parent.parent.parent / "templates"
    return folder.joinpath(name).read_text("utf-8")
