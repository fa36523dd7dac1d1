"""The files of a generated package: one module per source module, and the
``__init__.py`` of the folders above them.

Imports are collected as data first and emitted sorted; everything iterates
in a defined order, so the same IR always renders to the same bytes.
"""

from __future__ import annotations

from collections.abc import Iterable

from loomgen.ir import ModuleIR
from loomgen.render.black_form import Formatter, format_pieces, join_pieces
from loomgen.render.names import module_names
from loomgen.render.templates import environment
from loomgen.render.views import sanitize_comment, use_case_view


def module_pieces(module: ModuleIR) -> list[tuple[str, str]]:
    """The raw (unformatted) pieces of a module's file: ``(where, code)`` pairs.

    The header (imports), one executor function per use case, and the footer
    (``SPECIALIZED_ON``). Black formats top-level definitions independently and
    puts exactly two blank lines between them, so formatting each piece alone
    and joining them with :func:`join_pieces` gives the bytes black gives for
    the whole module (the golden and cache tests check this), while an edit to
    one use case only needs that use case's piece reformatted.
    """
    names = module_names(module)
    views = [use_case_view(uc, names) for uc in module.use_cases]
    macros = environment().get_template("module.py.jinja").module
    pieces = [
        (
            module.path,
            str(
                macros.header(  # type: ignore[attr-defined]
                    sanitize_comment(module.path),
                    module.module,
                    names.import_lines(),
                    names.binding_lines(),
                )
            ),
        )
    ]
    for view in views:
        pieces.append((f"{module.path}:{view.qualname}", str(macros.executor(view))))  # type: ignore[attr-defined]
    pieces.append((module.path, str(macros.footer(views))))  # type: ignore[attr-defined]
    return pieces


def render_module(module: ModuleIR, formatter: Formatter | None = None) -> str:
    """The generated module for one source module (formatted)."""
    return join_pieces((formatter or format_pieces)(module_pieces(module)))


def output_path(module: ModuleIR) -> str:
    """Where a module's executors go inside the generated package."""
    parts = module.module.split(".")
    if module.path.endswith("__init__.py"):
        return "/".join((*parts, "__init__.py"))
    return "/".join(parts) + ".py"


def package_inits(paths: Iterable[str]) -> dict[str, str]:
    """The ``__init__.py`` of every folder above ``paths`` that has none among them."""
    files = set(paths)
    package_init = environment().get_template("package.py.jinja")
    inits: dict[str, str] = {}
    for path in sorted(files):
        parts = path.split("/")[:-1]
        for depth in range(1, len(parts) + 1):
            init = "/".join((*parts[:depth], "__init__.py"))
            if init not in files and init not in inits:
                inits[init] = package_init.render(module=".".join(parts[:depth]))
    return inits
