"""Black is the oracle of the code loomgen writes without running it.

loomgen writes black's canonical form itself (``loomgen.render.black_form.canonical_text``)
and sends to black only the pieces it cannot vouch for. These tests format
with black what loomgen wrote and assert that nothing changes, and that every
generated module is byte for byte what running black over each of its raw
pieces gives (what loomgen wrote before it stopped running black on
everything): on every golden case, on the 1,000-use-case synthetic project of
``bench/``, on hand-picked edge cases of the line splitter, and on
hypothesis-drawn lines around the line length. The hypothesis-drawn use case
sources of the differential tests are in ``tests/differential/test_black_oracle_sources.py``.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import black
import pytest
from hypothesis import event, given, settings
from hypothesis import strategies as st

from bench import synthetic
from loomgen.workers import analyse_sources
from loomgen.discover import discover
from loomgen.ir import ModuleIR
from loomgen.render.black_form import (
    LINE_LENGTH,
    NARROW,
    black_mode,
    canonical_text,
    format_code,
    join_pieces,
)
from loomgen.render.files import module_pieces, render_module
from tests.golden import CASES, case_names, render_case


def black_says(code: str) -> str:
    return black.format_str(code, mode=black_mode())


def modules_in(root: Path, folders: Sequence[Path]) -> list[ModuleIR]:
    sources, _ = discover(list(folders), root=root)
    modules, _ = analyse_sources(sources)
    return [module for module in modules if module.use_cases]


def check_against_black(modules: Sequence[ModuleIR]) -> tuple[int, int]:
    """Assert that every piece loomgen writes itself is black's output for it, and
    that every module equals black's pieces joined; return (pieces, written by loomgen)."""
    pieces = written = 0
    for module in modules:
        raw = module_pieces(module)
        by_black = [format_code(code, where) for where, code in raw]
        for (where, code), expected in zip(raw, by_black, strict=True):
            pieces += 1
            text = canonical_text(code)
            if text is not None:
                written += 1
                assert text == expected, f"{where}: black writes it differently"
        output = render_module(module)
        assert output == join_pieces(by_black), module.path
        assert black_says(output) == output, module.path
    return pieces, written


# -- golden cases ------------------------------------------------------------------------


@pytest.mark.parametrize("name", case_names())
def test_every_golden_file_is_what_black_writes(name: str) -> None:
    files = render_case(name)
    for path, text in files.items():
        if path.endswith(".py"):
            assert black_says(text) == text, f"{name}: black would change {path}"


RENDERED_CASES = [name for name in case_names() if any((CASES / name / "expected").rglob("*.py"))]


@pytest.mark.parametrize("name", RENDERED_CASES)
def test_golden_modules_equal_black_over_their_pieces(name: str) -> None:
    root = CASES / name / "source"
    pieces, written = check_against_black(modules_in(root, [root]))
    # Every piece is written without black but the executor of the case made of
    # hostile strings (quotes and escapes in marker arguments), in the DSL and
    # kernel_surface cases the footer (the structures of their inlined
    # declarations are escaped strings), and in the DSL case the executor whose
    # inlined condition makes an ``if`` line too long (black splits conditions).
    needing_black = {"escaping": 1, "dsl": 2, "kernel_surface": 1}.get(name, 0)
    assert written == pieces - needing_black and pieces


# -- the synthetic project of bench/ ---------------------------------------------------


@pytest.fixture(scope="module")
def synthetic_project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("synthetic")
    synthetic.write_project(root)
    return root


def synthetic_modules(root: Path, count: int) -> list[ModuleIR]:
    modules = modules_in(root, [root / synthetic.PACKAGE])
    chosen = {f"{synthetic.PACKAGE}.m{index:03d}" for index in range(count)}
    chosen.add(f"{synthetic.PACKAGE}.base")
    return [module for module in modules if module.module in chosen]


def test_synthetic_modules_need_no_black(synthetic_project: Path) -> None:
    """The first modules of the synthetic project (every plan shape it has):
    black's bytes, and none of their pieces needs black (the build's speed)."""
    modules = synthetic_modules(synthetic_project, 3)
    assert len(modules) == 4
    pieces, written = check_against_black(modules)
    assert written == pieces, f"{pieces - written} of {pieces} pieces needed black"


@pytest.mark.slow
def test_the_whole_synthetic_project_is_what_black_writes(synthetic_project: Path) -> None:
    modules = synthetic_modules(synthetic_project, synthetic.MODULES)
    assert len(modules) == synthetic.MODULES + 1
    pieces, written = check_against_black(modules)
    assert written == pieces, f"{pieces - written} of {pieces} pieces needed black"


# -- the line splitter's edges ------------------------------------------------------------

DEF = (
    "async def run_x(\n"
    "    use_case: Any,\n"
    "    runtime: StepRuntime,\n"
    ") -> Any:\n"
    '    """Run the pipeline of ``X``, step by step."""\n'
    "\n"
)


def long_name(stem: str, width: int) -> str:
    return (stem * width)[:width]


EDGES: dict[str, tuple[str, bool]] = {
    # name: (piece, whether loomgen writes it without black)
    "import of two names": (
        f"from {long_name('pkg.', 60)}x import {long_name('a', 20)}, {long_name('b', 20)}\n",
        True,
    ),
    "import of one name": (f"from {long_name('pkg.', 80)}x import {long_name('a', 30)}\n", False),
    "import of names with aliases": (
        f"from m import {long_name('a', 40)} as b, {long_name('c', 40)} as d, e\n",
        True,
    ),
    "import too long even split": (
        f"from {long_name('p.', 101)}x import a, b\n",
        False,
    ),
    "call whose arguments fit on a line of their own": (
        DEF
        + f"    return await use_case.execute({long_name('a', 40)}=a, {long_name('b', 40)}=b)\n",
        True,
    ),
    "call whose arguments do not": (
        DEF
        + "    return use_case.execute("
        + ", ".join(f"{long_name(c, 12)}={c}" for c in "abcdefgh")
        + ")\n",
        True,
    ),
    "assignment of an awaited call": (
        DEF
        + f"    {long_name('u', 30)} = await repository.get_by_id({long_name('v', 40)},"
        + ' profile="default")\n',
        True,
    ),
    "raise of a call, from None": (
        DEF
        + f'    raise missing_parameter("{long_name("U", 30)}", "{long_name("p", 20)}", params,'
        + f' ("{long_name("p", 20)}", "{long_name("q", 20)}")) from None\n',
        True,
    ),
    "raise of a call whose arguments do not fit": (
        DEF
        + f'    raise missing_parameter("{long_name("U", 40)}", "{long_name("p", 30)}", params,'
        + f' ("{long_name("p", 30)}",)) from None\n',
        True,
    ),
    "raise of a call with a tuple too long for its line": (
        DEF
        + '    raise missing_parameter("U", "p", params, ('
        + ", ".join(f'"{long_name(c, 20)}"' for c in "abcd")
        + ")) from None\n",
        False,
    ),
    "call with one long argument": (
        DEF + f"    {long_name('f', 20)}({long_name('a', 95)})\n",
        False,
    ),
    "call with a context dict": (
        DEF
        + "    rule(cmd, fields_set, {"
        + ", ".join(f'"{long_name(c, 10)}": {long_name(c, 10)}' for c in "abcdef")
        + "})\n",
        True,
    ),
    "call with a one-item context dict": (
        DEF + f'    rule(cmd, fields_set, {{"{long_name("k", 50)}": {long_name("v", 50)}}})\n',
        False,
    ),
    "call with a string holding a comma and a bracket": (
        DEF + f'    f({long_name("a", 50)}, "x, y) {{z", {long_name("b", 50)})\n',
        True,
    ),
    "call followed by more code": (
        DEF + f"    f({long_name('a', 50)}, {long_name('b', 50)}).g\n",
        False,
    ),
    "specialized entry, objects on one line": (
        "SPECIALIZED_ON: dict[str, tuple[str, tuple[object, ...]]] = {\n"
        f'    "{long_name("K", 40)}": ("{long_name("f", 32)}", (A, B, C, D), ()),\n'
        "}\n",
        True,
    ),
    "specialized entry, objects one per line": (
        "SPECIALIZED_ON: dict[str, tuple[str, tuple[object, ...]]] = {\n"
        f'    "K": ("{long_name("f", 32)}", ('
        + ", ".join(long_name(c, 20) for c in "ABCDE")
        + "), ()),\n}\n",
        True,
    ),
    "specialized entry, one long object": (
        "SPECIALIZED_ON: dict[str, tuple[str, tuple[object, ...]]] = {\n"
        f'    "K": ("f", ({long_name("A", 100)},), ()),\n'
        "}\n",
        False,
    ),
    "long one-line docstring": (
        DEF.replace("``X``", f"``{long_name('X', 100)}``") + "    return None\n",
        True,
    ),
    "single-quoted string": (DEF + "    x = f('a')\n", False),
    "string with an escape": (DEF + '    x = f("a\\tb")\n', False),
    "comment black obeys": (DEF + "    # fmt: off\n    x = f(a)\n", False),
    "trailing whitespace": (DEF + "    x = f(a) \n", False),
    "two blank lines in a row": (DEF + "    x = f(a)\n\n\n    return x\n", False),
    "wide characters that may not fit": (
        DEF + f"    return use_case.execute({long_name('名', 30)}=a, {long_name('字', 30)}=b)\n",
        False,
    ),
    "accented letters, counted exactly": (
        DEF + f"    return use_case.execute({long_name('é', 45)}=a, {long_name('ß', 45)}=b)\n",
        True,
    ),
    "wide characters that surely fit": (DEF + f"    return f({long_name('名', 20)}=a)\n", True),
    "brackets black would join": (DEF + "    x = f(\n        a, b\n    )\n", False),
    "two items on a line inside brackets": (DEF + "    x = f(\n        a, b,\n    )\n", False),
    "one item per line with trailing commas": (
        DEF + "    x = f(\n        a,\n        b,\n    )\n",
        True,
    ),
    "a magic trailing comma on one line": (DEF + "    x = f([a, b,])\n", False),
    "a tuple of one item": (DEF + "    x = f((a,))\n", True),
    "a tuple of one string": (DEF + '    x = f(("a, b",))\n', True),
    "a blank line opening a block": (DEF + "    if x:\n\n        y = 1\n", False),
    "a comment inside brackets": (DEF + "    x = f(\n        # a\n        a,\n    )\n", False),
}


def test_the_narrow_characters_are_one_column_wide_for_black() -> None:
    from black.strings import char_width

    assert [hex(code) for code in NARROW if char_width(chr(code)) != 1] == []


@pytest.mark.parametrize("name", sorted(EDGES))
def test_edges_of_the_line_splitter(name: str) -> None:
    code, written = EDGES[name]
    text = canonical_text(code)
    assert (text is not None) == written, "loomgen writes it" if text else "it goes to black"
    if text is not None:
        assert text == black_says(code)


# Identifiers of every width class: ASCII, accented (one column), wide (two columns),
# and with a combining mark (zero columns for the mark).
ASCII_NAMES = st.text(st.sampled_from("abcxyz_"), min_size=1, max_size=45).map("n".__add__)
LATIN_NAMES = st.text(st.sampled_from("abcxyz_éßÄ"), min_size=1, max_size=45).map("n".__add__)
ANY_NAMES = st.lists(st.sampled_from([*"abcxyz_é名字", "e\u0301"]), min_size=1, max_size=45).map(
    lambda chars: "n" + "".join(chars)
)
PLAIN_STRINGS = st.text(st.sampled_from("ab ,:(){}[]#"), max_size=30)
ANY_STRINGS = st.text(st.sampled_from("ab ,:(){}[]é名'\"\\#"), max_size=30)


@st.composite
def lines(draw: st.DrawFn) -> str:
    """One line of the shapes the splitter handles, with lengths around the limit:
    names in plain ASCII, with accented Latin letters, or with wide, accented
    and combining characters (then strings may hold quotes and backslashes)."""
    names = draw(st.sampled_from(["ascii", "latin", "any"]))
    NAMES = {"ascii": ASCII_NAMES, "latin": LATIN_NAMES, "any": ANY_NAMES}[names]
    STRINGS = ANY_STRINGS if names == "any" else PLAIN_STRINGS
    depth = draw(st.integers(1, 3))
    indent = "    " * depth
    blocks = "".join(f"{'    ' * level}if {draw(NAMES)}:\n" for level in range(1, depth))
    kind = draw(st.sampled_from(["call", "return", "assign", "raise", "import", "specialized"]))
    if kind == "import":
        names = draw(st.lists(NAMES, min_size=1, max_size=6))
        return f"from {draw(NAMES)}.{draw(NAMES)} import {', '.join(names)}\n"
    if kind == "specialized":
        objects = ", ".join(draw(st.lists(NAMES, max_size=8)))
        if objects and draw(st.booleans()):
            objects = objects.split(", ")[0] + ","
        key = repr(draw(STRINGS)) if draw(st.booleans()) else f'"{draw(NAMES)}"'
        return (
            "SPECIALIZED_ON: dict[str, tuple[str, tuple[object, ...]]] = {\n"
            f'    {key}: ("{draw(NAMES)}", ({objects}), ()),\n}}\n'
        )
    arguments = []
    for _ in range(draw(st.integers(1, 6))):
        form = draw(st.sampled_from(["name", "keyword", "string", "dict", "strings"]))
        if form == "strings":
            strings = draw(st.lists(STRINGS, min_size=1, max_size=4))
            arguments.append(_tuple_of(strings))
        elif form == "name":
            arguments.append(draw(NAMES))
        elif form == "keyword":
            arguments.append(f"{draw(NAMES)}={draw(NAMES)}")
        elif form == "string":
            arguments.append(repr(draw(STRINGS)))
        else:
            items = draw(st.lists(st.tuples(STRINGS, NAMES), min_size=1, max_size=5))
            arguments.append("{" + ", ".join(f'"{k}": {v}' for k, v in items) + "}")
    callee = ".".join(draw(st.lists(NAMES, min_size=1, max_size=4)))
    call = f"{callee}({', '.join(arguments)})"
    awaited = "await " if draw(st.booleans()) else ""
    if kind == "raise":
        return DEF + blocks + indent + f"raise {call} from None\n"
    prefix = {"call": "", "return": "return ", "assign": f"{draw(NAMES)} = "}[kind] + awaited
    return DEF + blocks + indent + prefix + call + "\n"


def _tuple_of(strings: list[str]) -> str:
    """A tuple display of ``strings``, written as loomgen writes one."""
    items = [f'"{text}"' for text in strings]
    return "(" + ", ".join(items) + ("," if len(items) == 1 else "") + ")"


@settings(max_examples=1000, deadline=None)
@given(code=lines())
def test_what_loomgen_writes_is_what_black_writes(code: str) -> None:
    try:
        expected = black_says(code)
    except black.InvalidInput:
        return  # a drawn string broke the syntax (a quote or backslash inside "...")
    text = canonical_text(code)
    event("goes to black" if text is None else "split" if text != code else "unchanged")
    if text is not None:
        assert text == expected
        assert any(len(line) > LINE_LENGTH for line in code.splitlines()) or text == code
