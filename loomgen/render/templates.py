"""Where the templates are, and the jinja2 environment that reads them.

The templates are the top-level ``templates/`` folder of the repository,
installed as the package ``loomgen.templates`` (``pyproject.toml`` maps the
name to the folder, for the wheel and for an editable install alike), and
read as that package's resources: there is no other place to look.
"""

from __future__ import annotations

from functools import lru_cache
from importlib import resources

import jinja2

TEMPLATES_PACKAGE = "loomgen.templates"


def template_source(name: str) -> str:
    """The text of the template ``name`` (``module.py.jinja``, ...)."""
    return resources.files(TEMPLATES_PACKAGE).joinpath(name).read_text("utf-8")


@lru_cache(maxsize=1)
def environment() -> jinja2.Environment:
    """The jinja2 environment over the packaged templates."""
    return jinja2.Environment(
        loader=jinja2.FunctionLoader(template_source),
        # A view field a template misspells fails the build, not writes "".
        undefined=jinja2.StrictUndefined,
        # Block tags (``{% if %}`` ...) leave neither their line nor its indentation.
        trim_blocks=True,
        lstrip_blocks=True,
        # A file ends with its newline, as black writes it. (jinja2 escapes
        # nothing unless told to: these are Python files, not HTML.)
        keep_trailing_newline=True,
    )
