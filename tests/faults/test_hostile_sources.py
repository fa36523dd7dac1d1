"""Hostile sources: loomgen must keep exact values, run nothing it was not told
to, write nowhere but its output folder, and report bad sources as diagnostics.

- marker strings (``against=``, ``profile=``, ``from_command=``), docstrings and
  comments full of quotes, backslashes, line separators, NULs, surrogates,
  template syntax and code-looking text, written as every kind of Python
  string literal: the generated package compiles, the repositories receive
  exactly the strings Python evaluates from the source, in both modes, and no
  code hidden in them runs (no side effect, no such name in the generated AST);
- non-ASCII identifiers for classes, parameters, functions, modules and
  packages: both modes agree (see :mod:`tests.differential.harness`);
- output paths: the emitter refuses anything that would leave the output folder
  (``..``, absolute paths, backslashes, NULs, symlinks), discovery refuses
  sources outside the project root;
- syntax errors and unsupported or invalid constructs: the CLI prints
  ``path:line:col`` diagnostics (never a traceback), exits 2, and leaves the
  previous generated package byte for byte (and mtime) as it was.
"""

from __future__ import annotations

import ast
import asyncio
import contextlib
import io
import keyword
import os
import re
import tempfile
import unicodedata
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from loomgen.cli import main as loomgen_main
from loomgen.discover import discover
from loomgen.emit import (
    CHANGED_BY_HAND,
    MANIFEST,
    NOT_LOOMGENS,
    EmitError,
    clean_package,
    manifest_text,
    write_package,
)
from loomgen.ir import ModuleIR
from loomgen.render import output_path
from tests.differential.harness import (
    HIT,
    BuildFailed,
    Namespace,
    RepoSpec,
    Request,
    Rig,
    Workspace,
    build,
    check_sources,
    compare,
    discard,
    run_request,
)
from tests.differential.profiles import robustness_settings
from tests.differential.sourcegen import KNOWN_BUGS

# -- hostile text --------------------------------------------------------------------

PWNED = Path(tempfile.gettempdir()) / f"loom-robustness-pwned-{os.getpid()}"
"""Created by the code hidden in hostile strings, should it ever run."""

INJECTIONS = (
    f"__import__('pathlib').Path({str(PWNED)!r}).touch()",
    f"'); __import__('pathlib').Path({str(PWNED)!r}).touch(); pwned_marker(); ('",
    f'"); __import__("pathlib").Path({str(PWNED)!r}).touch(); pwned_marker(); ("',
    f'"""); pwned_marker(); ("""',
    "'''); pwned_marker(); ('''",
    "\n__import__('os').system('exit 1')\n",
    "\\\npwned_marker()",
    "{{ pwned_marker() }}",
    "{% for x in y %}{{ x }}{% endfor %}",
    "{# #}",
)
# fmt: off
SPECIALS = (
    '"', "'", '"""', "'''", "\\", "\\\\", "\n", "\r", "\r\n", "\x00", "\t", "\u2028", "\u2029",
    "\x85", "\x0b", "\x0c", "\x1c", "\x1f", "\x7f", "é", "ß", "Größe", "😀", "\ud800", "\udfff",
    "{{ x }}", "{%", "{#", "# comment", "\\N{BULLET}", "\\x41", "\\u2028", "%s", "${x}", "ﬁ", "ｘ",
    "class", " ", "",
)
# fmt: on
STRIP_FROM_COMMENTS = str.maketrans("", "", "\n\r\x00")


def docstring_text(value: str) -> str:
    """``value`` without lone surrogates: CPython cannot create a class whose
    docstring holds one (``UnicodeEncodeError``), whatever loomgen does."""
    return "".join(ch for ch in value if not _is_surrogate(ch))


def comment_text(value: str) -> str:
    """``value`` as raw comment text: no line ends, NULs or (unencodable) surrogates."""
    return "".join(
        _escape(ch, False) if _is_surrogate(ch) else ch
        for ch in value.translate(STRIP_FROM_COMMENTS)
    )


hostile_text = st.lists(
    st.one_of(
        st.sampled_from(SPECIALS),
        st.sampled_from(INJECTIONS),
        st.text(max_size=4),
        st.characters(codec=None, categories=["Cs", "Cc", "Cf", "Zl", "Zp", "Co"]),
    ),
    min_size=1,
    max_size=6,
).map("".join)


def _escape(ch: str, named: bool) -> str:
    if named and not ("\ud800" <= ch <= "\udfff"):
        name = unicodedata.name(ch, None)
        if name is not None:
            return f"\\N{{{name}}}"
    code = ord(ch)
    if code < 0x100:
        return f"\\x{code:02x}"
    if code < 0x10000:
        return f"\\u{code:04x}"
    return f"\\U{code:08x}"


def _is_surrogate(ch: str) -> bool:
    return "\ud800" <= ch <= "\udfff"


def literal_double(value: str, *, named: bool = False, raw_unprintable: bool = False) -> str:
    """``"..."`` with escapes; unprintable characters raw (when allowed) or escaped."""
    out = []
    for ch in value:
        if ch == "\\":
            out.append("\\\\")
        elif ch == '"':
            out.append('\\"')
        elif ch == "\n":
            out.append("\\n")
        elif ch == "\r":
            out.append("\\r")
        elif ch == "\t":
            out.append("\\t")
        elif ch == "\x00" or _is_surrogate(ch):
            out.append(_escape(ch, False))
        elif not ch.isprintable():
            out.append(ch if raw_unprintable else _escape(ch, named))
        else:
            out.append(ch)
    return '"' + "".join(out) + '"'


def literal_triple(value: str) -> str:
    """``\"\"\"...\"\"\"`` with real line breaks and raw unprintable characters."""
    out = []
    for ch in value:
        if ch == "\\":
            out.append("\\\\")
        elif ch == '"':
            out.append('\\"')
        elif ch == "\r":
            out.append("\\r")  # a raw CR would be read as a line break
        elif ch == "\x00" or _is_surrogate(ch):
            out.append(_escape(ch, False))
        else:
            out.append(ch)
    return '"""' + "".join(out) + '"""'


def literal_raw(value: str) -> str | None:
    """``r"..."`` when ``value`` can be written raw, else ``None``."""
    if any(ch in value for ch in '"\n\r\x00') or any(_is_surrogate(ch) for ch in value):
        return None
    if not all(ch.isprintable() or ch == "\t" for ch in value):
        return None
    if re.search(r"\\+$", value) and len(re.search(r"\\+$", value).group()) % 2:  # type: ignore[union-attr]
        return None
    return 'r"' + value + '"'


@st.composite
def literals(draw: Any, value: str) -> str:
    """Source text of a string literal (possibly concatenated) evaluating to ``value``."""
    style = draw(
        st.sampled_from(
            ("repr", "double", "named", "raw_unprintable", "triple", "raw", "u", "concat", "parens")
        )
    )
    if style == "repr":
        text = repr(value)
    elif style == "double":
        text = literal_double(value)
    elif style == "named":
        text = literal_double(value, named=True)
    elif style == "raw_unprintable":
        text = literal_double(value, raw_unprintable=True)
    elif style == "triple":
        text = literal_triple(value)
    elif style == "raw":
        text = literal_raw(value) or repr(value)
    elif style == "u":
        text = "u" + literal_double(value)
    else:
        cut = draw(st.integers(0, len(value)))
        left, right = value[:cut], value[cut:]
        if style == "concat":
            text = literal_double(left) + " " + repr(right)
        else:
            text = (
                "(\n            "
                + literal_triple(left)
                + "\n            "
                + literal_double(right, named=True)
                + "\n        )"
            )
    assert ast.literal_eval(text) == value, (text, value)
    return text


# -- exact values, nothing executed ----------------------------------------------------------

SOURCE = """\
{doc_module}
from typing import Any

from loom.core.command import Command
from loom.core.use_case import Exists, Input, Load, LoadById, UseCase


class User:
    {doc_class}


class Cmd(Command):
    email: str = "e"


setattr(Cmd, {from_command_attribute}, "from-weird-attribute")


def c0(cmd, fields_set):
    {doc_function}
    return cmd


class UC(UseCase[Any, Any]):
    {doc_class}
    computes = [c0]

    async def execute(
        self,
        x: str,
        cmd: Cmd = Input(),
        a: Any = LoadById(  # {comment}
            User, by="x", profile={profile}
        ),
        b: Any = Load(User, from_param="x", against={against}, profile={profile_2}),
        c: Any = Load(User, from_command={from_command}, against={against_2}),  # {comment}
        d: bool = Exists(User, from_command="email", against={against_3}),
    ) -> Any:
        {doc_function}
        return (a, b, c, d)
"""

FORBIDDEN_NAMES = frozenset({"pwned_marker", "__import__", "system", "touch"})
"""Names that only hostile strings mention: none may appear as code in generated files."""


def usable_attribute(value: str) -> bool:
    """A name ``setattr`` can put on a command class without clashing with pydantic."""
    from loom.core.command import Command

    if "nfkc_identifiers" in KNOWN_BUGS and unicodedata.normalize("NFKC", value) != value:
        return False  # test_from_command_attribute_that_is_not_nfkc_normal
    return (
        bool(value)
        and not value.startswith("_")
        and value != "email"
        and not hasattr(Command, value)
    )


@st.composite
def hostile_sources(draw: Any) -> tuple[str, dict[str, str], str]:
    """(source text, the exact values it declares, the value of the parameter ``x``)."""
    values = {
        "profile": draw(hostile_text.filter(bool)),
        "profile_2": draw(hostile_text.filter(bool)),
        "against": draw(hostile_text.filter(bool)),
        "against_2": draw(hostile_text.filter(bool)),
        "against_3": draw(hostile_text.filter(bool)),
        "from_command": draw(hostile_text.filter(usable_attribute)),
    }
    fields = {name: draw(literals(value)) for name, value in values.items()}
    fields["from_command_attribute"] = draw(literals(values["from_command"]))
    for doc in ("doc_module", "doc_class", "doc_function"):
        fields[doc] = draw(literals(docstring_text(draw(hostile_text))))
    fields["comment"] = comment_text(draw(hostile_text))
    source = SOURCE.format(**fields)
    return source, values, draw(hostile_text)


def generated_names(folder: Path) -> set[str]:
    """Every name and attribute used as code in the generated package."""
    names: set[str] = set()
    for path in folder.rglob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for node in ast.walk(tree):
            if isinstance(node, ast.Name):
                names.add(node.id)
            elif isinstance(node, ast.Attribute):
                names.add(node.attr)
            elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                names.add(node.name)
            elif isinstance(node, ast.alias):
                names.add(node.asname or node.name)
    return names


def check_exact(workspace: Workspace, source: str, values: dict[str, str], x: str) -> None:
    try:
        built = build(workspace, {"ucs.py": source})
    except BuildFailed as error:
        raise AssertionError(f"{error}\n-- source:\n{source}") from None
    try:
        assert not built.diagnostics, (built.diagnostics, source)
        names = generated_names(built.generated_folder)
        assert not names & FORBIDDEN_NAMES, names & FORBIDDEN_NAMES
        namespace = Namespace(built, "ucs")
        request = Request(
            "UC", params={"x": x}, payload={}, repos=(RepoSpec("User", otherwise=HIT),)
        )
        expected = [
            ("User", "get_by_id", repr((x,)), repr({"profile": values["profile"]})),
            (
                "User",
                "get_by",
                repr((values["against"], x)),
                repr({"profile": values["profile_2"]}),
            ),
            (
                "User",
                "get_by",
                repr((values["against_2"], "from-weird-attribute")),
                repr({"profile": "default"}),
            ),
            ("User", "exists_by", repr((values["against_3"], "e")), "{}"),
        ]

        async def run() -> None:
            interpreted = Rig("interpreted", None, debug=False)
            generated = Rig("generated", built.generated, debug=False)
            assert generated.executor.uses_generated(namespace.UC)
            first = await run_request(interpreted, namespace, request)
            second = await run_request(generated, namespace, request)
            compare(first, second, request, {"ucs.py": source})
            assert second.error is None, (second.error, source)
            assert second.repository_calls == expected, source

        asyncio.run(run())
    finally:
        discard(workspace, built)
    assert not PWNED.exists(), "code hidden in a string literal ran"


@pytest.mark.slow
@robustness_settings(scale=0.4)
@given(case=hostile_sources())
def test_hostile_strings_keep_exact_values_and_run_nothing(
    workspace: Workspace, case: tuple[str, dict[str, str], str]
) -> None:
    check_exact(workspace, *case)


HAND_PICKED = [
    'it\'s "quoted" \\ \n\t é',
    '"""',
    "'''",
    "\\",
    "\r\n\r",
    "\x00",
    "\u2028\u2029\x85\x0b\x0c\x1c",
    "\ud800",
    "😀 Größe",
    "{{ x }}{% raw %}{# c #}",
    "# not a comment",
    "\\N{BULLET}",
    *INJECTIONS,
]


STYLES = ["repr", "double", "named", "raw_unprintable", "triple", "parens"]


@pytest.mark.parametrize(
    ("value", "style"),
    [
        (value, STYLES[(index + shift) % len(STYLES)])
        for index, value in enumerate(HAND_PICKED)
        for shift in (0, 3)
    ],
    ids=lambda v: repr(v)[:30],
)
def test_hand_picked_hostile_strings(workspace: Workspace, value: str, style: str) -> None:
    render = {
        "repr": repr,
        "double": literal_double,
        "named": lambda v: literal_double(v, named=True),
        "raw_unprintable": lambda v: literal_double(v, raw_unprintable=True),
        "triple": literal_triple,
        "parens": lambda v: "(\n            "
        + literal_triple(v[:3])
        + "\n            "
        + literal_double(v[3:])
        + "\n        )",
    }[style]
    text = render(value)
    assert ast.literal_eval(text) == value
    other = "x" + value
    fields = {
        "profile": text,
        "profile_2": render(other),
        "against": text,
        "against_2": render(other),
        "against_3": text,
        "from_command": repr("weird " + value),
        "from_command_attribute": repr("weird " + value),
        "doc_module": render(docstring_text(value)),
        "doc_class": render(docstring_text(other)),
        "doc_function": render(docstring_text(value)),
        "comment": comment_text(value),
    }
    values = {
        "profile": value,
        "profile_2": other,
        "against": value,
        "against_2": other,
        "against_3": value,
        "from_command": "weird " + value,
    }
    check_exact(workspace, SOURCE.format(**fields), values, value)


# -- non-ASCII identifiers -------------------------------------------------------------------

RESERVED_IDENTIFIERS = frozenset(
    {
        "Any",
        "Command",
        "UseCase",
        "Exists",
        "Input",
        "Load",
        "LoadById",
        "compute_step",
        "finish",
        "rule_step",
        "self",
        "locals",
        "tests",
    }
)
BUILTIN_IDENTIFIERS = frozenset(dir(__import__("builtins")))


def usable_identifier(name: str) -> bool:
    if not name.isidentifier() or keyword.iskeyword(name) or name.startswith("_"):
        return False
    if name in RESERVED_IDENTIFIERS:
        return False
    if "nfkc_identifiers" in KNOWN_BUGS and unicodedata.normalize("NFKC", name) != name:
        return False
    if "builtin_shadowing" in KNOWN_BUGS and name in BUILTIN_IDENTIFIERS:
        return False
    return True


identifiers = st.text(
    st.characters(categories=["Lu", "Ll", "Lt", "Lm", "Lo", "Nl", "Mn", "Mc", "Nd", "Pc"]),
    min_size=1,
    max_size=6,
).filter(usable_identifier)

IDENTIFIER_MODELS = '''\
from loom.core.command import Command


class {entity}:
    """An entity."""


class {command}(Command):
    {field}: str = "v"
'''

IDENTIFIER_USE_CASES = """\
from typing import Any

from loom.core.use_case import Exists, Input, LoadById, UseCase
from tests.differential.harness import compute_step, finish, rule_step

from .{models} import {command}, {entity}


def {compute}(cmd, fields_set, context):
    return compute_step({compute!r}, "tag_context", cmd, fields_set, context)


def {rule}(cmd, fields_set):
    rule_step({rule!r}, "violate_pick", cmd, fields_set, None)


class {use_case}(UseCase[Any, Any]):
    computes = [{compute}]
    rules = [{rule}]

    async def execute(
        self,
        {p1}: int,
        {p2}: str,
        {pc}: {command} = Input(),
        {pe}: {entity} = LoadById({entity}, by={p1!r}),
        {px}: bool = Exists({entity}, from_command={field!r}, against={p2!r}),
    ) -> Any:
        return finish({use_case!r}, locals())
"""


@st.composite
def identifier_sets(draw: Any) -> dict[str, str]:
    def nfkc(name: str) -> str:
        return unicodedata.normalize("NFKC", name)

    # NFKC-normal spellings only: names Python rewrites are covered by the
    # test_non_nfkc_* regression tests; here files, strings and identifiers
    # must all name the same thing.
    normal = identifiers.filter(lambda n: nfkc(n) == n)
    module_level = draw(st.lists(normal, min_size=7, max_size=7, unique_by=nfkc))
    names = dict(
        zip(("entity", "command", "compute", "rule", "use_case", "models", "module"), module_level)
    )
    from loom.core.command import Command

    # The field is also named by a string (``from_command=``), which getattr
    # takes as it is: only a normalized spelling names the field Python made.
    names["field"] = draw(
        identifiers.filter(
            lambda n: nfkc(n) == n and not hasattr(Command, n) and not n.startswith("model")
        )
    )
    params = draw(st.lists(normal, min_size=5, max_size=5, unique_by=nfkc))
    names.update(zip(("p1", "p2", "pc", "pe", "px"), params))
    names["package"] = draw(normal)
    # Python looks modules up by their NFKC-normalized name (``import ª`` finds
    # ``a.py``), so files and folders carry normalized names.
    for key in ("models", "module", "package"):
        names[key] = nfkc(names[key])
    return names


def check_identifiers(workspace: Workspace, names: dict[str, str]) -> None:
    sources = {
        f"{names['models']}.py": IDENTIFIER_MODELS.format(**names),
        f"{names['module']}.py": IDENTIFIER_USE_CASES.format(**names),
    }
    requests = [
        Request(
            names["use_case"],
            params={names["p1"]: "5", names["p2"]: "s"},
            payload={names["field"]: "x"},
            repos=(RepoSpec(names["entity"], otherwise=HIT),),
        ),
        Request(names["use_case"], params={names["p2"]: 1}, payload={}),
        Request(
            names["use_case"],
            params={names["p1"]: 1, names["p2"]: "s"},
            payload={},
            repos=(RepoSpec(names["entity"], answers=(HIT,)),),
        ),
    ]
    check_sources(
        workspace,
        sources,
        requests,
        module=names["module"],
        use_cases=[names["use_case"]],
        suffix="_" + names["package"],
        debug=False,
    )


@pytest.mark.slow
@robustness_settings(scale=0.4)
@given(names=identifier_sets())
def test_non_ascii_identifiers(workspace: Workspace, names: dict[str, str]) -> None:
    check_identifiers(workspace, names)


def test_hand_picked_non_ascii_identifiers(workspace: Workspace) -> None:
    check_identifiers(
        workspace,
        {
            "entity": "Größe",
            "command": "Befehl",
            "compute": "prüfe",
            "rule": "règle",
            "use_case": "ÄndereBestellung",
            "models": "modèles",
            "module": "cas_d_usage",
            "field": "wert",
            "p1": "größe_id",
            "p2": "naïve",
            "pc": "befehl",
            "pe": "größe",
            "px": "существует",
            "package": "пакет",
        },
    )


# -- output paths ----------------------------------------------------------------------------


def tree(folder: Path) -> dict[str, tuple[bytes | str, int]]:
    """Every entry under ``folder`` (not following symlinks): bytes or link target, and mtime."""
    found: dict[str, tuple[bytes | str, int]] = {}
    if not folder.exists():
        return found
    for current, subfolders, files in os.walk(folder):
        for name in subfolders + files:
            path = Path(current, name)
            rel = path.relative_to(folder).as_posix()
            stat = path.lstat()
            if path.is_symlink():
                found[rel] = (os.readlink(path), stat.st_mtime_ns)
            elif path.is_file():
                found[rel] = (path.read_bytes(), stat.st_mtime_ns)
            else:
                found[rel] = ("<dir>", 0)
    return found


path_parts = st.sampled_from(
    (
        "a",
        "b.py",
        "..",
        ".",
        "",
        "/",
        "\\",
        "\x00",
        " ",
        "é",
        "C:",
        "~",
        "__init__.py",
        MANIFEST,
        "..\\x",
    )
)
hostile_paths = st.lists(path_parts, min_size=1, max_size=5).map("/".join) | st.lists(
    path_parts, min_size=1, max_size=5
).map("".join)


@contextlib.contextmanager
def sandbox() -> Iterator[Path]:
    with tempfile.TemporaryDirectory(prefix="loom-hostile-") as folder:
        root = Path(folder)
        (root / "outside").mkdir()
        (root / "outside" / "victim.py").write_text("VICTIM = 1\n")
        yield root


@robustness_settings(scale=2)
@given(paths=st.lists(hostile_paths, min_size=1, max_size=3))
def test_emitted_paths_never_leave_the_output_folder(paths: list[str]) -> None:
    with sandbox() as root:
        output = root / "gen"
        write_package(output, {"__init__.py": "", "pkg/__init__.py": ""})
        outside_before = tree(root / "outside")
        inside_before = tree(output)
        files = {"__init__.py": "", **{p: "ESCAPED = True\n" for p in paths}}
        try:
            write_package(output, files)
        except EmitError:
            assert tree(output) == inside_before  # refused before writing anything
        else:
            for rel in files:
                real = Path(os.path.realpath(output / rel))
                assert real.is_relative_to(Path(os.path.realpath(output))), rel
        assert tree(root / "outside") == outside_before
        assert sorted(p.name for p in root.iterdir()) == ["gen", "outside"]


@pytest.mark.parametrize(
    "module", ["", ".", "..", "..evil", "a..b", "/abs", "a/../../evil", "..\\evil", "a.\x00"]
)
def test_hostile_module_names_cannot_place_files_outside(module: str) -> None:
    """Discovery only yields identifier module names; should a bad one reach the
    renderer anyway, the emitter refuses the path it maps to."""
    with sandbox() as root:
        rel = output_path(ModuleIR(module, f"{module}.py", ()))
        output = root / "gen"
        try:
            write_package(output, {"__init__.py": "", rel: "ESCAPED = True\n"})
        except EmitError:
            assert not output.exists()
        else:  # a harmless name (``.py`` for ``""``): still inside
            assert Path(os.path.realpath(output / rel)).is_relative_to(output)
        assert sorted(p.name for p in root.iterdir()) == ["gen", "outside"][not output.exists() :]
        assert tree(root / "outside") == {
            "victim.py": (b"VICTIM = 1\n", tree(root / "outside")["victim.py"][1])
        }


def test_symlinks_in_the_output_folder_are_never_written_or_deleted_through() -> None:
    with sandbox() as root:
        output = root / "gen"
        files = {"__init__.py": "", "pkg/__init__.py": "", "pkg/ucs.py": "VICTIM = 1\n"}
        write_package(output, files)
        # Replace the owned folder by a link to a folder holding a file with the
        # very bytes loomgen owns: neither a rebuild nor a clean may touch it.
        for name in ("ucs.py", "__init__.py"):
            (output / "pkg" / name).unlink()
        (output / "pkg").rmdir()
        (root / "outside" / "ucs.py").write_text("VICTIM = 1\n")
        (root / "outside" / "__init__.py").write_text("")
        (output / "pkg").symlink_to(root / "outside", target_is_directory=True)
        outside_before = tree(root / "outside")

        with pytest.raises(EmitError, match="symlink"):
            write_package(output, files)
        # Owned by the manifest, same bytes, but reached through a symlink: a
        # build that no longer wants them keeps them...
        changes = write_package(output, {"__init__.py": "", "other.py": ""})
        assert changes.deleted == ()
        assert {item.path for item in changes.kept} == {"pkg/__init__.py", "pkg/ucs.py"}
        # ...and so does a clean.
        (output / MANIFEST).write_text(manifest_text(files))
        cleaned = clean_package(output)
        assert cleaned.deleted == ("__init__.py",)
        assert {(item.path, item.reason) for item in cleaned.kept} == {
            ("pkg/__init__.py", CHANGED_BY_HAND),
            ("pkg/ucs.py", CHANGED_BY_HAND),
            ("other.py", NOT_LOOMGENS),  # no longer in the (restored) manifest
        }
        assert tree(root / "outside") == outside_before

        # A symlinked file is not replaced either.
        (output / "pkg").unlink()
        (output / "pkg").mkdir()
        (output / "pkg" / "ucs.py").symlink_to(root / "outside" / "victim.py")
        with pytest.raises(EmitError, match="symlink"):
            write_package(output, files)
        assert (root / "outside" / "victim.py").read_text() == "VICTIM = 1\n"


def test_discovery_rejects_sources_outside_the_root() -> None:
    with sandbox() as root:
        project = root / "project"
        (project / "app").mkdir(parents=True)
        (project / "app" / "__init__.py").write_text("")
        (root / "outside" / "__init__.py").write_text("")
        (project / "app" / "linked").symlink_to(root / "outside", target_is_directory=True)
        (project / "app" / "linked_file.py").symlink_to(root / "outside" / "victim.py")

        sources, problems = discover(
            [Path("app"), Path("../outside"), root / "outside" / "victim.py", Path("/")],
            root=project,
        )
        assert [s.module for s in sources] == ["app"]
        messages = sorted(str(p) for p in problems)
        assert (
            sum(
                ": error: source path" in m and "is outside the project root" in m for m in messages
            )
            == 3
        ), messages
        assert (
            sum(": warning: symlink leads outside the project root" in m for m in messages) == 2
        ), messages
        assert len(messages) == 5, messages


# -- diagnostics for bad sources ---------------------------------------------------------------

GOOD_SOURCE = """\
from typing import Any

from loom.core.command import Command
from loom.core.use_case import Exists, Input, Load, LoadById, OnMissing, UseCase


class User:
    pass


class Cmd(Command):
    email: str = "e"


def normalize(cmd, fields_set):
    return cmd


class UC(UseCase[Any, Any]):
    computes = [normalize]

    async def execute(
        self,
        user_id: int,
        cmd: Cmd = Input(),
        user: User = LoadById(User, by="user_id", profile="full"),
        owner: Any = Load(User, from_command="email", against="email"),
        taken: bool = Exists(User, from_param="user_id", against="id", on_missing=OnMissing.RAISE),
    ) -> Any:
        return user
"""

DIAGNOSTIC = re.compile(
    r"^(?P<path>[^:\n]+):(?P<line>\d+):(?P<column>\d+): (?P<severity>error|warning): .+$"
)


@contextlib.contextmanager
def project() -> Iterator[Path]:
    """A project with ``app/ucs.py`` (good) already built into ``gen``."""
    with tempfile.TemporaryDirectory(prefix="loom-cli-") as folder:
        root = Path(folder)
        (root / "pyproject.toml").write_text('[tool.loomgen]\nsources = ["app"]\noutput = "gen"\n')
        (root / "app").mkdir()
        (root / "app" / "__init__.py").write_text("")
        (root / "app" / "ucs.py").write_text(GOOD_SOURCE)
        code, out, err = run_cli(root)
        assert code == 0, (out, err)
        assert (root / "gen" / "app" / "ucs.py").is_file()
        yield root


def run_cli(root: Path, *extra: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = loomgen_main(
            [
                "build",
                "--project",
                str(root),
                "--source",
                str(root / "app"),
                "--output",
                str(root / "gen"),
                *extra,
            ]
        )
    return code, out.getvalue(), err.getvalue()


def check_refused(
    root: Path, code: int, out: str, err: str, before: dict[str, Any]
) -> list[re.Match[str]]:
    """Exit 2, no traceback, only diagnostics and one summary line, package untouched."""
    assert code == 2, (code, out, err)
    assert "Traceback" not in out + err, err
    lines = err.splitlines()
    assert lines, "no diagnostic printed"
    matches = [DIAGNOSTIC.match(line) for line in lines[:-1]]
    assert all(matches), lines
    assert lines[-1].startswith("loomgen: error: "), lines[-1]
    assert tree(root / "gen") == before
    return [m for m in matches if m is not None]


@st.composite
def corrupted_sources(draw: Any) -> str:
    text = GOOD_SOURCE
    for _ in range(draw(st.integers(1, 3))):
        action = draw(st.sampled_from(("insert", "delete", "truncate", "replace_line")))
        position = draw(st.integers(0, len(text)))
        if action == "insert":
            piece = draw(
                st.sampled_from(
                    (
                        "(",
                        ")",
                        "[",
                        "]",
                        "{",
                        "}",
                        ":",
                        "'",
                        '"',
                        '"""',
                        "\\",
                        ",",
                        "=",
                        "@",
                        "*",
                        "**",
                        "\n",
                        "\t",
                        "    ",
                        "lambda",
                        "def",
                        "class",
                        "=",
                        "\x0c",
                        "\u2028",
                        "\x00",
                        "é",
                        "0x",
                        "1e",
                        "!",
                    )
                )
            )
            text = text[:position] + piece + text[position:]
        elif action == "delete":
            length = draw(st.integers(1, 5))
            text = text[:position] + text[position + length :]
        elif action == "truncate":
            text = text[:position]
        else:
            lines = text.split("\n")
            index = draw(st.integers(0, len(lines) - 1))
            lines[index] = draw(
                st.sampled_from(
                    (
                        "x = (",
                        "def f(:",
                        "    return",
                        "class C",
                        "if True:",
                        "  pass",
                        "async def x(self, *, **k): ...",
                    )
                )
            )
            text = "\n".join(lines)
    return text


@pytest.mark.slow
@robustness_settings(scale=0.4)
@given(source=corrupted_sources())
def test_broken_sources_give_diagnostics_and_leave_the_package_alone(source: str) -> None:
    with project() as root:
        before = tree(root / "gen")
        (root / "app" / "ucs.py").write_bytes(source.encode("utf-8", "surrogatepass"))
        code, out, err = run_cli(root)
        assert "Traceback" not in out + err, err
        python_error: SyntaxError | None = None
        try:
            ast.parse(source.replace("\x00", ""), "ucs.py")
        except SyntaxError as error:
            python_error = error
        if "\x00" in source:
            python_error = python_error or SyntaxError("source code cannot contain null bytes")
        if python_error is None and "compile_errors" not in KNOWN_BUGS:
            try:  # errors only the compiler sees (duplicate argument, return outside def...)
                compile(source, "ucs.py", "exec", dont_inherit=True)
            except SyntaxError as error:
                python_error = error
        if python_error is not None:
            matches = check_refused(root, code, out, err, before)
            assert any(m["path"] == "app/ucs.py" and m["severity"] == "error" for m in matches), err
            if python_error.lineno is not None and "\x00" not in source:
                assert any(int(m["line"]) == python_error.lineno for m in matches), (
                    err,
                    python_error,
                )
        elif code == 2:
            check_refused(root, code, out, err, before)
        else:
            assert code == 0, (code, out, err)
            for path in (root / "gen").rglob("*.py"):
                compile(path.read_text(encoding="utf-8"), str(path), "exec")


BAD_SOURCES = [
    # (replace this, with that, expected "line:col: severity: message" fragments, strict)
    ("async def execute(", "async def execute(:", ["app/ucs.py:22:23: error: syntax error"], False),
    ('profile="full")', 'profile="full"', ["app/ucs.py:", "error: syntax error"], False),
    ("    pass\n", "  pass\n   x = 1\n", ["app/ucs.py:9:", "error: syntax error"], False),
    (
        'by="user_id"',
        'by="nobody"',
        [
            "app/ucs.py:26:9: error: app.ucs:UC: UC.execute: LoadById: parameter 'nobody' not"
            " found in execute signature (parameter 'user': by='nobody' must name a plain"
            " parameter of execute"
        ],
        False,
    ),
    (
        "cmd: Cmd = Input(),",
        "cmd: Cmd = Input(),\n        again: Cmd = Input(),",
        ["app/ucs.py:26:", "only one Input() parameter is allowed"],
        False,
    ),
    (
        'from_command="email", against="email"',
        'from_command="email", from_param="user_id", against="email"',
        ["app/ucs.py:27:22: error:", "Load() takes exactly one of from_param= or from_command="],
        False,
    ),
    (
        "def normalize(cmd, fields_set):",
        "def normalize(cmd):",
        ["app/ucs.py:20:17: error:", "must accept (command, fields_set)"],
        False,
    ),
    (
        'against="id"',
        'against=""',
        ["app/ucs.py:28:66: error:", "Exists(against=...) must be a non-empty string"],
        False,
    ),
    (
        "OnMissing.RAISE",
        "OnMissing.NOPE",
        ["app/ucs.py:28:83: error:", "got OnMissing.NOPE; valid values: OnMissing.RAISE"],
        False,
    ),
    (
        "self,\n        user_id: int,",
        "self,\n        user_id: int,\n        /,",
        ["app/ucs.py:", "positional-only"],
        False,
    ),
    (
        'profile="full"',
        'profile="full" + "x"',
        ["app/ucs.py:26:", "warning:", "LoadById(profile=...) is computed at runtime"],
        True,
    ),
    (
        "computes = [normalize]",
        "computes = [make_normalizer()]",
        ["app/ucs.py:20:17: warning:", "cannot see the signature of 'make_normalizer()'"],
        True,
    ),
    (
        "computes = [normalize]",
        "computes = [*[normalize]]",
        ["app/ucs.py:20:17: warning:", "starred"],
        True,
    ),
    (
        "class UC(UseCase[Any, Any]):",
        "class UC(UseCase[Any, Any]):\n    read_only = 1 == 1",
        ["app/ucs.py:20:17: warning:", "read_only must be True or False"],
        True,
    ),
    (
        "    async def execute(",
        "    @staticmethod\n    async def execute(",
        ["app/ucs.py:22:5: warning:", "execute() is decorated"],
        True,
    ),
]


@pytest.mark.parametrize(
    ("old", "new", "expected", "strict"), BAD_SOURCES, ids=[c[1][:40] for c in BAD_SOURCES]
)
def test_bad_sources_give_located_diagnostics(
    old: str, new: str, expected: list[str], strict: bool
) -> None:
    assert old in GOOD_SOURCE
    with project() as root:
        before = tree(root / "gen")
        (root / "app" / "ucs.py").write_text(GOOD_SOURCE.replace(old, new, 1))
        code, out, err = run_cli(root, *(["--strict"] if strict else []))
        check_refused(root, code, out, err, before)
        lines = err.splitlines()
        assert any(all(fragment in line for fragment in expected) for line in lines), err


def test_unreadable_sources_give_diagnostics() -> None:
    with project() as root:
        before = tree(root / "gen")
        (root / "app" / "ucs.py").write_bytes(b"x = '\xff\xfe'\n")
        code, out, err = run_cli(root)
        matches = check_refused(root, code, out, err, before)
        assert (matches[0]["path"], matches[0]["line"], matches[0]["column"]) == (
            "app/ucs.py",
            "1",
            "1",
        )


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [(old, new, expected) for old, new, expected, strict in BAD_SOURCES if strict],
    ids=[c[1][:40] for c in BAD_SOURCES if c[3]],
)
def test_unsupported_constructs_warn_with_locations_without_strict(
    old: str, new: str, expected: list[str]
) -> None:
    """Without ``--strict`` an unsupported construct is a located warning: the
    build succeeds and leaves that use case to the interpreter."""
    with project() as root:
        (root / "app" / "ucs.py").write_text(GOOD_SOURCE.replace(old, new, 1))
        code, out, err = run_cli(root)
        assert code == 0, (out, err)
        assert "Traceback" not in out + err
        lines = err.splitlines()
        assert lines and all(DIAGNOSTIC.match(line) for line in lines), err
        assert any(all(fragment in line for fragment in expected) for line in lines), err
        registry: dict[str, Any] = {}
        exec((root / "gen" / "__init__.py").read_text(encoding="utf-8"), registry)
        assert "app.ucs:UC" not in registry["EXECUTORS"]
        reason = registry["INTERPRETED"]["app.ucs:UC"]
        assert any(reason in line for line in lines), (reason, err)
