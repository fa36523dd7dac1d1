"""Back end: turn the IR into Python source with jinja2, in black's format.

One job per module:

- :mod:`~loomgen.render.names`: every name a generated module binds (imports,
  read-once objects, executor functions, locals), chosen once per module;
- :mod:`~loomgen.render.views`: the plain strings the templates lay out;
- :mod:`~loomgen.render.templates`: the jinja2 environment over ``templates/``;
- :mod:`~loomgen.render.black_form`: black's canonical form, written without
  black where that can be told, and black where it cannot;
- :mod:`~loomgen.render.files`: a generated module (from its pieces) and the
  package ``__init__`` files;
- :mod:`~loomgen.render.registry`: the registry module.

The templates only lay code out; everything iterates in a defined order, so
the same IR always renders to the same bytes.
"""

from loomgen.render.black_form import (
    RenderError,
    black_pieces,
    canonical_text,
    formatter_digest,
)
from loomgen.render.files import output_path, package_inits, render_module
from loomgen.render.registry import registry_entries, render_registry_entries
from loomgen.render.templates import environment

__all__ = [
    "RenderError",
    "black_pieces",
    "canonical_text",
    "environment",
    "formatter_digest",
    "output_path",
    "package_inits",
    "registry_entries",
    "render_module",
    "render_registry_entries",
]
