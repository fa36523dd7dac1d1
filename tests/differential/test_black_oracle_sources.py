"""Black as the oracle on hypothesis-drawn use case sources.

The sources :mod:`tests.differential.sourcegen` writes (long and non-ASCII
names, hostile strings in marker arguments, nested classes, several import
styles) are analysed by loomgen; for every generated module, each piece
loomgen writes without black must be exactly what black writes for it, and
the module must be black's output over its raw pieces, which black then
leaves unchanged (see ``tests/loomgen/test_black_form.py``).
"""

from __future__ import annotations

import shutil

import pytest
from hypothesis import event, given

from tests.loomgen.test_black_form import check_against_black, modules_in
from tests.differential.harness import OUTSIDE, Workspace
from tests.differential.profiles import robustness_settings
from tests.differential.sourcegen import Example, examples


@pytest.mark.slow
@robustness_settings()
@given(example=examples())
def test_drawn_sources_are_written_as_black_writes_them(
    workspace: Workspace, example: Example
) -> None:
    package, _ = workspace.names("_oracle")
    folder = workspace.root / package
    library = workspace.root / f"{package}_lib"  # the package outside the sources, as built
    files = {folder / k: v for k, v in {"__init__.py": "", **example.sources}.items()}
    if example.outside is not None:
        files.update({library / k: v for k, v in {"__init__.py": "", **example.outside}.items()})
    try:
        for target, text in files.items():
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(text.replace(OUTSIDE, library.name), encoding="utf-8")
        modules = modules_in(workspace.root, [folder])
        if not modules:
            # Only a drawn twist (a name bound again after its class...) may leave every use
            # case to the interpreter; then no executor is written and black has nothing to judge.
            assert example.allow_left, "the drawn sources gave no executor"
            event("every use case left to the interpreter")
            return
        pieces, written = check_against_black(modules)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
        shutil.rmtree(library, ignore_errors=True)
    event(
        f"pieces written without black: {'all' if written == pieces else 'some' if written else 'none'}"
    )
