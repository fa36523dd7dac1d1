"""Black's form: the text black writes, mostly without running black.

The templates write black's canonical form; :func:`canonical_text` splits
the long lines black would split and hands to black only the pieces it
cannot vouch for (black remains the oracle in the tests).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Sequence
from functools import lru_cache
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import black

LINE_LENGTH = 100
"""Black's line length for generated code (target version: Python 3.11)."""


@lru_cache(maxsize=1)
def black_mode() -> black.Mode:
    """The black mode of generated code. Black is imported on first use only:
    a build that formats nothing (everything cached) never loads it."""
    import black
    from black.mode import TargetVersion

    return black.Mode(target_versions={TargetVersion.PY311}, line_length=LINE_LENGTH)


@lru_cache(maxsize=1)
def formatter_digest() -> str:
    """What black's formatted text depends on besides its input: black's version
    and mode (read without importing black: most builds never run it)."""
    from loomgen.cache import tool_version

    text = f"black={tool_version('black')};line_length={LINE_LENGTH};target=py311"
    return hashlib.sha256(text.encode()).hexdigest()


class RenderError(Exception):
    """loomgen produced code black could not parse (a loomgen bug)."""


def literal(value: str) -> str:
    """A Python string literal for ``value`` (exact for quotes, escapes, non-ASCII).

    A value that needs no escaping is written in double quotes, as black
    writes it; any other is written by ``repr`` and leaves its piece of code
    to black (see :func:`canonical_text`).
    """
    return plain_string(value) or repr(value)


def plain_string(value: str) -> str | None:
    """``value`` as the double-quoted literal black writes, when no escaping is needed."""
    if '"' in value or "\\" in value or not value.isprintable():
        return None
    return f'"{value}"'


def format_code(code: str, where: str) -> str:
    import black

    try:
        return black.format_str(code, mode=black_mode())
    except Exception as error:  # black raises several types for bad input
        raise RenderError(f"{where}: generated code does not parse: {error}") from error


# -- canonical text: black's output, written without running black -------------------
#
# The templates write every line the way black writes it, and the views hand
# them double-quoted plain literals and sorted, single-line imports. What is
# left for black is what user-controlled names and strings can do to those
# lines: make a line longer than LINE_LENGTH, or need escaping. The two long
# lines every large project has (a module's import of its use cases, an entry
# of SPECIALIZED_ON) are split here exactly as black splits them; a piece with
# anything else this module cannot vouch for goes to black. Black stays the
# oracle: tests check that black changes nothing in what this writes (golden
# cases, the synthetic project, hypothesis-drawn sources).

_IMPORT = re.compile(r"from ([\w.]+) import (\w+(?: as \w+)?(?:, \w+(?: as \w+)?)+)")
"""``from module import a, b as c, ...``: at least two names, as ``import_lines`` writes it."""

_SPECIALIZED_ENTRY = re.compile(r'    ("[^"]*"): \(("[^"]*"), \(([\w.]*(?:, [\w.]+)*,?)\), \(\)\),')
"""``    "key": ("fingerprint", (objects...), ()),``: one entry of the footer's
``SPECIALIZED_ON`` with no DSL declaration compiled inline (an entry listing
some holds their structures as escaped strings, and goes to black)."""

_BLACK_DIRECTIVES = ("fmt:", "yapf:", "type:")
"""Comment text black reads as an instruction: such a comment's piece goes to black."""


NARROW = range(0x20, 0x250)
"""Characters black counts one column wide: ASCII, Latin-1 and Latin Extended-A/B
(``é``, ``ß``, ``Ä``; the oracle tests check this against black's own table)."""


def _fits(line: str) -> bool | None:
    """Whether black keeps ``line`` on one line (``None``: cannot tell without black).

    Black measures a line in terminal columns: a line of :data:`NARROW`
    characters by its length; a wide (East Asian) character counts two and a
    combining one none, so any other line is known to fit only if it would
    with every character wide.
    """
    if line.isascii() or all(ord(char) in NARROW for char in line):
        return len(line) <= LINE_LENGTH
    return True if 2 * len(line) <= LINE_LENGTH else None


def _split_import(line: str) -> list[str] | None:
    """A too-long ``from m import a, b`` as black splits it: one name per line,
    with a trailing comma (``None``: not that shape, or not safely)."""
    found = _IMPORT.fullmatch(line)
    if found is None:
        return None
    head = f"from {found.group(1)} import ("
    names = [f"    {name}," for name in found.group(2).split(", ")]
    if not all(_fits(text) for text in (head, *names)):
        return None
    return [head, *names, ")"]


def _split_specialized(line: str) -> list[str] | None:
    """A too-long entry of ``SPECIALIZED_ON`` as black splits it: the tuple one
    item per line, and the objects one per line if they still do not fit."""
    found = _SPECIALIZED_ENTRY.fullmatch(line)
    if found is None:
        return None
    key, fingerprint, objects = found.groups()
    head = f"    {key}: ("
    inner = f"        ({objects}),"
    lines = [head, f"        {fingerprint},"]
    if not all(_fits(text) for text in lines):
        return None
    fits = _fits(inner)
    if fits:
        return [*lines, inner, "        (),", "    ),"]
    items = objects.split(", ")
    if fits is None or len(items) < 2:
        return None
    exploded = [f"            {item}," for item in items]
    if not all(_fits(text) for text in exploded):
        return None
    return [*lines, "        (", *exploded, "        ),", "        (),", "    ),"]


_CALL = re.compile(r"( *)((?:return |raise |\w+ = )?(?:await )?[\w.]+)\((.*)\)( from None)?")
"""A statement ending with a call: ``f(...)``, ``return [await] f(...)``, ``x = [await] f(...)``,
``raise f(...) [from None]``."""

_ARGUMENT = re.compile(r'(?:\w+=)?(?:[\w.]+|"[^"]*"|\("[^"]*",\)|\("[^"]*"(?:, "[^"]*")+\))')
"""A call argument black does not split when its line fits: a name, a dotted name, a plain
string or a tuple of plain strings (one-item tuples with their comma), maybe a keyword."""

_DICT_ITEM = re.compile(r'"[^"]*": [\w.]+')

_ONE_TUPLE = re.compile(r'\((?:[\w.]+|"[^"]*"),\)')
"""A tuple of one item: its comma is not a magic trailing comma."""

_DOCSTRING = re.compile(r' *"""[^"\s](?:[^"]*[^"\s])?"""')
"""A one-line docstring with nothing to pad or requote: black never splits it."""


def _top_level(text: str) -> list[str] | None:
    """``text`` cut at its top-level ``", "`` (outside brackets and plain strings);
    ``None`` if its brackets do not balance or a comma is not followed by a space."""
    items: list[str] = []
    depth = 0
    quoted = False
    start = 0
    for index, char in enumerate(text):
        if char == '"':
            quoted = not quoted
        elif quoted:
            continue
        elif char in "([{":
            depth += 1
        elif char in ")]}":
            depth -= 1
            if depth < 0:
                return None
        elif char == "," and depth == 0:
            if text[index + 1 : index + 2] != " ":
                return None
            items.append(text[start:index])
            start = index + 2
    if depth or quoted:
        return None
    items.append(text[start:])
    return items


def _split_call(line: str) -> list[str] | None:
    """A too-long statement ending with a call of two or more arguments, as
    black splits it: the arguments on one line of their own if they fit there,
    else one per line with a trailing comma (a dict display among them split
    one item per line in turn if it still does not fit)."""
    found = _CALL.fullmatch(line)
    if found is None:
        return None
    indent, callee, arguments, suffix = found.groups()
    items = _top_level(arguments)
    if items is None or len(items) < 2:
        return None
    head = f"{indent}{callee}("
    body = f"{indent}    {arguments}"
    tail = f"{indent}){suffix or ''}"
    if not _fits(head):
        return None
    fits = _fits(body)
    if fits is None:
        return None
    if fits:
        return [head, body, tail]
    lines = [head]
    for item in items:
        text = f"{indent}    {item},"
        if _ARGUMENT.fullmatch(item):
            if not _fits(text):
                return None
            lines.append(text)
            continue
        if not (item.startswith("{") and item.endswith("}")):
            return None
        entries = _top_level(item[1:-1])
        if entries is None or not all(_DICT_ITEM.fullmatch(entry) for entry in entries):
            return None
        fits = _fits(text)
        if fits:
            lines.append(text)
            continue
        exploded = [f"{indent}        {entry}," for entry in entries]
        if fits is None or len(entries) < 2 or not all(_fits(text) for text in exploded):
            return None
        lines.extend([f"{indent}    {{", *exploded, f"{indent}    }},"])
    return [*lines, tail]


def _plain_comment(comment: str) -> bool:
    """Whether black leaves a comment line (``comment``: without its indentation) as it is."""
    return (comment == "#" or comment.startswith("# ")) and not any(
        directive in comment for directive in _BLACK_DIRECTIVES
    )


def canonical_text(code: str) -> str | None:
    """``code`` as black formats it, when that can be told without black; else ``None``.

    ``code`` is one piece of a generated module (see :func:`module_pieces`):
    template lines laid out as black lays them out. It is returned unchanged,
    except for too-long imports and ``SPECIALIZED_ON`` entries, which are
    split as black splits them. ``None`` (the piece needs black) for anything
    else black could change: a too-long line of any other kind, a string
    literal that is not a plain double-quoted one (a quote, a backslash, an
    escape), a comment black would rewrite or obey, trailing whitespace,
    tabs or control characters, two blank lines in a row or a blank line
    opening a block, brackets spanning lines other than one item per line
    with a trailing comma, a magic trailing comma on one line, or a non-ASCII
    line whose width cannot be told for sure.
    """
    if not code.endswith("\n") or code.endswith("\n\n") or code.startswith("\n"):
        return None
    out: list[str] = []
    previous = ""  # the previous line
    brackets = 0  # how many brackets the lines so far left open
    for line in code[:-1].split("\n"):
        if not line:
            if not previous or previous.endswith(":") or brackets:
                return None  # two blank lines, a blank opening a block, or inside brackets
            previous = line
            out.append(line)
            continue
        if not line.isprintable() or line[-1] == " ":
            return None  # tabs, control characters, trailing whitespace
        text = line.lstrip(" ")
        if text.startswith("#"):
            if not _plain_comment(text) or brackets:
                return None
            previous = line
            out.append(line)
            continue
        if "'" in line or "\\" in line:
            return None  # a literal black may requote or re-escape
        if ",)" in _ONE_TUPLE.sub("", line) or ",]" in line or ",}" in line:
            return None  # a magic trailing comma: black explodes its brackets
        # Brackets left open at the end of a line hold one item per line, each with a
        # trailing comma (a magic one: black keeps them so); anything else black may join.
        if text[0] in ")]}":
            if not brackets or not previous.endswith(","):
                return None
            brackets -= 1
        elif brackets:
            items = _top_level(text[:-1])
            if not text.endswith(",") or items is None or len(items) != 1:
                return None
        if text[-1] in "([{":
            brackets += 1
        previous = line
        fits = _fits(line)
        if fits is None:
            return None
        if fits:
            out.append(line)
            continue
        if _DOCSTRING.fullmatch(line):
            out.append(line)
            continue
        split = _split_import(line) or _split_specialized(line) or _split_call(line)
        if split is None:
            return None
        out.extend(split)
    return "\n".join(out) + "\n"


Formatter = Callable[[Sequence[tuple[str, str]]], list[str]]
"""``formatter(pieces)`` -> each ``(where, code)`` piece black-formatted, in order."""


def join_pieces(formatted: Sequence[str]) -> str:
    """Join black-formatted top-level pieces the way black spaces them."""
    return "\n\n".join(formatted)


def format_pieces(pieces: Sequence[tuple[str, str]]) -> list[str]:
    """Format the pieces of one module: black's output for each, in order.

    A piece whose canonical text :func:`canonical_text` can write costs no
    black run; the others are formatted by :func:`black_pieces`.
    """
    formatted = [canonical_text(code) for _, code in pieces]
    rest = [piece for piece, text in zip(pieces, formatted, strict=True) if text is None]
    if not rest:
        return [text for text in formatted if text is not None]
    by_black = iter(black_pieces(rest))
    return [next(by_black) if text is None else text for text in formatted]


def black_pieces(pieces: Sequence[tuple[str, str]]) -> list[str]:
    """Format pieces with a single black run over all of them.

    The formatted text is cut back into pieces at the two blank lines black
    puts between top-level definitions (no piece contains two blank lines in a
    row: generated strings never hold a raw line break). If the cut does not
    give one part per piece, each piece is formatted on its own instead.
    """
    if len(pieces) > 1:
        whole = format_code("\n\n".join(code for _, code in pieces), pieces[0][0])
        parts = whole.split("\n\n\n")
        if len(parts) == len(pieces):
            return [part + "\n" for part in parts[:-1]] + parts[-1:]
    return [format_code(code, where) for where, code in pieces]
