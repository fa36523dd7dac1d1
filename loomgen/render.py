"""Back end: turn the IR into Python source with jinja2, in black's format.

The templates write black's canonical form; :func:`canonical_text` splits
the long lines black would split and hands to black only the pieces it
cannot vouch for (black remains the oracle in the tests).

This module decides every name and expression the generated code uses
(imports, local variable names, literals) and hands the templates plain
strings: the templates only lay code out. Imports are collected as data
first and emitted sorted; everything iterates in a defined order, so the
same IR always renders to the same bytes.
"""

from __future__ import annotations

import hashlib
import keyword
import re
import unicodedata
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path

from typing import TYPE_CHECKING, Any

import jinja2

from loom.core.engine.fingerprint import GENERATED_FORMAT
from loom.core.engine.shapes import section_digests
from loom.core.use_case.markers import OnMissing
from loomgen import __version__
from loomgen.ir import (
    DslIR,
    ExistsIR,
    FunctionIR,
    Import,
    LoadIR,
    ModuleIR,
    PresenceIR,
    Ref,
    UseCaseIR,
)

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


RUNTIME_IMPORTS: tuple[tuple[str, str], ...] = (
    ("collections.abc", "Mapping"),
    ("loom.core.engine.steps", "StepRuntime"),
    ("loom.core.engine.steps", "build_command"),
    ("loom.core.engine.steps", "convert_parameter"),
    ("loom.core.engine.steps", "find_repository"),
    ("loom.core.engine.steps", "missing_parameter"),
    ("loom.core.engine.steps", "on_missing_check"),
    ("loom.core.engine.steps", "on_missing_entity"),
    ("loom.core.engine.steps", "parameter_defaults"),
    ("loom.core.engine.steps", "sent"),
    ("loom.core.errors", "RuleViolation"),
    ("loom.core.errors", "RuleViolations"),
    ("loom.core.use_case.markers", "OnMissing"),
    ("loom.core.use_case.rule", "rule_outcome"),
    ("typing", "Any"),
)
MODULE_NAMES = frozenset(
    {name for _, name in RUNTIME_IMPORTS} | {"annotations", "SPECIALIZED_ON", "SHAPES"}
)
LOCAL_NAMES = frozenset(
    {
        "use_case",
        "params",
        "payload",
        "dependencies",
        "load_overrides",
        "runtime",
        "fields_set",
        "from_payload",
        "repository",
        "value",
        "violations",
        "violation",
        "outcome",
    }
)
"""The generated function's own parameters and locals (see ``templates/``).

No module-level name of a generated module is ever one of these, so a
compute, rule, entity, command or module called ``params`` is never hidden
inside the function."""
BUILTINS_USED = frozenset({"isinstance", "KeyError", "bool", "getattr", "type", "dict"})


class RenderError(Exception):
    """loomgen produced code black could not parse (a loomgen bug)."""


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
        folder = Path(__file__).resolve().parent.parent / "templates"
    return folder.joinpath(name).read_text("utf-8")


def literal(value: str) -> str:
    """A Python string literal for ``value`` (exact for quotes, escapes, non-ASCII).

    A value that needs no escaping is written in double quotes, as black
    writes it; any other is written by ``repr`` and leaves its piece of code
    to black (see :func:`canonical_text`).
    """
    return _plain_string(value) or repr(value)


def function_name(qualname: str) -> str:
    """``PlaceOrder`` -> ``run_place_order``; ``Outer.Inner`` -> ``run_outer__inner``."""
    parts = []
    for part in qualname.split("."):
        snake = re.sub(r"(?<=[^\W_])(?=[A-Z][a-z])|(?<=[a-z0-9])(?=[A-Z])", "_", part)
        parts.append(snake.lower())
    return "run_" + "__".join(parts)


def _binding_name(expression: str) -> str:
    """A readable identifier for a dotted or indexed expression:
    ``checks.quota_ok`` -> ``checks_quota_ok``, ``A.computes[0]`` -> ``A_computes_0``."""
    return re.sub(r"\W+", "_", expression).strip("_") or "bound"


def _plain_attribute(name: str) -> bool:
    """Whether ``obj.<name>`` reads the attribute called exactly ``name``.

    Python NFKC-normalizes identifiers in source (``obj.ﬁ`` reads ``fi``) but
    ``getattr`` takes the string as it is, so only normalized names qualify.
    """
    return (
        name.isidentifier()
        and not keyword.iskeyword(name)
        and unicodedata.normalize("NFKC", name) == name
    )


def sanitize_comment(text: str) -> str:
    """Text safe on one comment line: no line breaks or control characters."""
    return "".join(
        ch if ch.isprintable() else ch.encode("unicode_escape").decode("ascii") for ch in text
    )


# -- names -------------------------------------------------------------------------


def runtime_imports(use_cases: Sequence[UseCaseIR]) -> list[tuple[str, str]]:
    """The runtime names the executors of ``use_cases`` actually use."""
    needed = {"Mapping", "Any", "StepRuntime"}
    for uc in use_cases:
        if any(not p.has_default for p in uc.params):
            needed.add("missing_parameter")
        if any(p.has_default for p in uc.params):
            needed.add("parameter_defaults")
        if any(p.target is not None for p in uc.params):
            needed.add("convert_parameter")
        if uc.input is not None:
            needed.add("build_command")
            if uc.rules:
                needed.update(("RuleViolation", "RuleViolations"))
            if any(r.inline is not None and r.inline.kind in ("check", "forbid") for r in uc.rules):
                needed.add("rule_outcome")
            if any(_reads_patch_field(step.inline) for step in (*uc.computes, *uc.rules)):
                needed.add("sent")
        if uc.loads or uc.exists:
            needed.add("find_repository")
        if uc.loads:
            needed.add("on_missing_entity")
        if uc.exists:
            needed.add("on_missing_check")
        if uc.loads or uc.exists:
            needed.add("OnMissing")
    return [(module, name) for module, name in RUNTIME_IMPORTS if name in needed]


def _reads_patch_field(dsl: DslIR | None) -> bool:
    """Whether inlined code tests a patch field's presence (with ``sent``)."""
    if dsl is None:
        return False
    if dsl.kind == "require_present" and dsl.target_patch:
        return True
    pending = [dsl.predicate]
    while pending:
        predicate = pending.pop()
        if predicate is None:
            continue
        if not predicate.op and predicate.patch:
            return True
        pending.extend((predicate.left, predicate.right))
    return False


class ModuleNames:
    """Chooses the module-level name of every object the generated module binds.

    A plain name is imported (``from app.rules import quota_ok``). Anything
    reached through an attribute or an index (``checks.quota_ok``,
    ``Invite.Entity``, ``PlaceOrder.computes[0]``) is read once, when the
    generated module is imported, into a module-level name of its own
    (``checks_quota_ok = checks.quota_ok``): the executor then calls the
    object the runtime verified, as the interpreter calls the object its plan
    captured, even if the attribute is patched later.
    """

    def __init__(
        self,
        refs: Iterable[Ref],
        runtime: Sequence[tuple[str, str]] = RUNTIME_IMPORTS,
        defaults_for: Iterable[Ref] = (),
    ) -> None:
        self.runtime = tuple(runtime)
        self.bound: dict[Import, str] = {}
        self.assigned: dict[str, str] = {}  # expression -> module-level name
        refs = list(refs)
        # Builtins the generated code calls, and those it converts to, must
        # never be shadowed by an imported name.
        self.builtins = BUILTINS_USED | {ref.root for ref in refs if ref.origin is None}
        taken = set(MODULE_NAMES) | LOCAL_NAMES | self.builtins

        def free(preferred: str) -> str:
            name, counter = preferred, 2
            while name in taken or keyword.iskeyword(name):
                name = f"{preferred}_{counter}"
                counter += 1
            taken.add(name)
            return name

        for origin in sorted({ref.origin for ref in refs if ref.origin is not None}):
            self.bound[origin] = free(origin.name or origin.module.rpartition(".")[2])
        for expression in sorted({self._spelled(ref) for ref in refs if ref.attributes}):
            self.assigned[expression] = free(_binding_name(expression))
        # The defaults of ``execute``, read from the live class like everything else.
        self.defaults: dict[str, str] = {}
        for ref in defaults_for:
            spelled = self.expression(ref)
            call = f"parameter_defaults({spelled})"
            self.assigned[call] = self.defaults[ref.expression] = free(f"{spelled}_defaults")
        self.taken = frozenset(taken)

    def _spelled(self, ref: Ref) -> str:
        if ref.origin is None:
            return ref.expression
        return ".".join((self.bound[ref.origin], *ref.attributes))

    def expression(self, ref: Ref) -> str:
        """How the generated module's functions spell the object ``ref`` denotes."""
        spelled = self._spelled(ref)
        return self.assigned.get(spelled, spelled)

    def binding_lines(self) -> list[str]:
        """``name = expression`` for every object read through an attribute or index."""
        return [f"{name} = {expression}" for expression, name in sorted(self.assigned.items())]

    def import_lines(self) -> list[str]:
        """Every import the module needs, grouped and sorted (isort's style)."""
        groups: dict[int, dict[str, list[str]]] = {}
        for module, name in self.runtime:
            group = 2 if module.startswith("loom.") else 1
            groups.setdefault(group, {}).setdefault(module, []).append(name)
        plain: list[str] = []
        for origin, local in self.bound.items():
            if not origin.name:
                parent, _, last = origin.module.rpartition(".")
                if not parent and local == origin.module:
                    plain.append(f"import {origin.module}")
                elif not parent:
                    plain.append(f"import {origin.module} as {local}")
                else:
                    clause = last if local == last else f"{last} as {local}"
                    groups.setdefault(3, {}).setdefault(parent, []).append(clause)
                continue
            clause = origin.name if local == origin.name else f"{origin.name} as {local}"
            groups.setdefault(3, {}).setdefault(origin.module, []).append(clause)
        lines: list[str] = []
        for group in sorted(groups):
            if lines:
                lines.append("")
            block = groups[group]
            if group == 3 and plain:
                lines.extend(sorted(plain))
            for module in sorted(block):
                names = ", ".join(sorted(set(block[module])))
                lines.append(f"from {module} import {names}")
        if plain and 3 not in groups:
            lines.extend(["", *sorted(plain)])
        return lines


class LocalNames:
    """Local variable names for one function, never shadowing what it uses."""

    def __init__(self, avoid: Iterable[str]) -> None:
        self.avoid = set(avoid) | LOCAL_NAMES | BUILTINS_USED
        self.locals: dict[str, str] = {}

    def of(self, name: str) -> str:
        local = self.locals.get(name)
        if local is None:
            local = name
            while local in self.avoid:
                local += "_"
            self.avoid.add(local)
            self.locals[name] = local
        return local


# -- views: what the templates see --------------------------------------------------


@dataclass(frozen=True)
class ParamView:
    comment: str
    key: str
    local: str
    target: str
    default: str
    """The expression of its default (``""``: it has none, it is required)."""


@dataclass(frozen=True)
class InputView:
    comment: str
    key: str
    local: str
    command: str


@dataclass(frozen=True)
class LoadView:
    comment: str
    key: str
    local: str
    entity: str
    by_id: bool
    value: str
    value_source: str
    against: str
    profile: str
    on_missing: str


@dataclass(frozen=True)
class ExistsView:
    comment: str
    key: str
    local: str
    entity: str
    value: str
    value_source: str
    against: str
    on_missing: str


@dataclass(frozen=True)
class FunctionView:
    comment: str
    function: str
    context: str
    dsl: DslView | None = None


@dataclass(frozen=True)
class DslView:
    """A DSL declaration's plain code: every expression precomputed."""

    kind: str
    condition: str
    """When the declaration applies (``when_present``): an expression, or ``""``."""
    value: str
    """compute: the new field value; check/forbid: the evaluator call."""
    target: str
    """compute: the field's literal; require_present: the "absent" test."""
    field: str
    message: str


@dataclass(frozen=True)
class UseCaseView:
    key: str
    qualname: str
    name: str
    function: str
    use_case: str
    params: tuple[ParamView, ...]
    param_names: str
    """The names of the plain parameters, as a tuple literal (for ``missing_parameter``)."""
    input: InputView | None
    command: str
    loads: tuple[LoadView, ...]
    exists: tuple[ExistsView, ...]
    computes: tuple[FunctionView, ...]
    rules: tuple[FunctionView, ...]
    execute_comment: str
    is_async: bool
    coroutine: bool
    """Whether the executor awaits anything itself (a load or an exists check)."""
    call_arguments: str
    specialized_on: str
    inlined: str
    fingerprint: str
    shape_digests: str


def presence(predicate: PresenceIR, command: str) -> str:
    """``when_present`` as an expression: a patch field is present when the
    payload carried it, any other when it is not ``None``."""
    if not predicate.op:
        if predicate.patch:
            # The spec reads the attribute too (see loom's ``sent``).
            return f"{literal(predicate.field)} in fields_set and sent({command}.{predicate.field})"
        return f"{command}.{predicate.field} is not None"
    assert predicate.left is not None and predicate.right is not None
    parts = [presence(predicate.left, command), presence(predicate.right, command)]
    wrapped = [
        f"({part})" if side.op or (side.patch and predicate.op == "or") else part
        for part, side in zip(parts, (predicate.left, predicate.right), strict=True)
    ]
    return f" {predicate.op} ".join(wrapped)


def dsl_view(
    dsl: DslIR, command: str, locals_of: dict[str, str], expr: Callable[[Ref], str]
) -> DslView:
    """The expressions of one inlined declaration."""
    condition = "" if dsl.predicate is None else presence(dsl.predicate, command)
    if dsl.kind == "require_present":
        absent = (
            f"{literal(dsl.target)} not in fields_set or not sent({command}.{dsl.target})"
            if dsl.target_patch
            else f"{command}.{dsl.target} is None"
        )
        if condition and dsl.target_patch:
            absent = f"({absent})"
        assert dsl.field is not None
        return DslView(dsl.kind, condition, "", absent, literal(dsl.field), literal(dsl.message))
    if dsl.whole:
        arguments = [command] if dsl.kind == "compute" else [command, "fields_set"]
    else:
        arguments = [f"{command}.{name}" for name in dsl.sources]
    arguments += [locals_of[name] for name in dsl.params]
    if dsl.via is None:
        value = arguments[0]
    else:
        value = f"{expr(dsl.via)}({', '.join(arguments)})"
    if dsl.kind == "compute":
        return DslView(dsl.kind, condition, value, literal(dsl.target), "", "")
    field = literal(dsl.field) if dsl.field is not None else f"type({command}).__name__"
    return DslView(dsl.kind, condition, value, "", field, literal(dsl.message))


def inlined(uc: UseCaseIR, expr: Callable[[Ref], str]) -> str:
    """``SPECIALIZED_ON``'s third part: per inlined declaration, its index among
    the specialized objects, the structure it was read as, and the functions
    the code calls in its place."""
    first = len(uc.specialized_on()) - len(uc.computes) - len(uc.rules)
    entries = []
    for offset, step in enumerate((*uc.computes, *uc.rules)):
        if step.inline is not None:
            functions = () if step.inline.via is None else (expr(step.inline.via),)
            entries.append(
                _tuple((str(first + offset), literal(step.inline.description), _tuple(functions)))
            )
    return _tuple(entries)


def _on_missing(policy: str) -> str:
    """``"return_none"`` -> ``OnMissing.RETURN_NONE``."""
    return f"OnMissing.{OnMissing(policy).name}"


def _tuple(items: Iterable[str]) -> str:
    values = list(items)
    return "(" + ", ".join(values) + ("," if len(values) == 1 else "") + ")"


def use_case_view(uc: UseCaseIR, names: ModuleNames, function: str) -> UseCaseView:
    """Precompute every name and expression of one executor function."""
    expr = names.expression
    locals_ = LocalNames(names.taken | names.builtins)
    name = literal(uc.qualname)
    bound: list[tuple[str, str]] = []  # (parameter name, local), in the interpreter's order

    params = []
    for p in uc.params:
        local = locals_.of(p.name)
        bound.append((p.name, local))
        params.append(
            ParamView(
                sanitize_comment(p.declaration),
                literal(p.name),
                local,
                expr(p.target) if p.target is not None else "",
                (
                    f"{names.defaults[uc.use_case.expression]}[{literal(p.name)}]"
                    if p.has_default
                    else ""
                ),
            )
        )
    input_view = None
    command = ""
    if uc.input is not None:
        command = locals_.of(uc.input.name)
        bound.append((uc.input.name, command))
        input_view = InputView(
            sanitize_comment(uc.input.declaration),
            literal(uc.input.name),
            command,
            expr(uc.input.command),
        )

    def lookup(step: LoadIR | ExistsIR) -> tuple[str, str]:
        if step.source_kind == "param":
            return locals_.of(step.source_name), ""
        if _plain_attribute(step.source_name):
            return "value", f"{command}.{step.source_name}"
        return "value", f"getattr({command}, {literal(step.source_name)})"

    loads = []
    for step in uc.loads:
        value, source = lookup(step)
        local = locals_.of(step.name)
        loads.append(
            LoadView(
                sanitize_comment(step.declaration),
                literal(step.name),
                local,
                expr(step.entity),
                step.lookup_kind == "by_id",
                value,
                source,
                literal(step.against),
                literal(step.profile),
                _on_missing(step.on_missing),
            )
        )
        bound.append((step.name, local))
    exists = []
    for check in uc.exists:
        value, source = lookup(check)
        local = locals_.of(check.name)
        exists.append(
            ExistsView(
                sanitize_comment(check.declaration),
                literal(check.name),
                local,
                expr(check.entity),
                value,
                source,
                literal(check.against),
                _on_missing(check.on_missing),
            )
        )
        bound.append((check.name, local))

    context = "{" + ", ".join(f"{literal(key)}: {local}" for key, local in bound) + "}"

    locals_of = dict(bound)

    def functions(steps: Sequence[FunctionIR]) -> tuple[FunctionView, ...]:
        return tuple(
            FunctionView(
                sanitize_comment(
                    step.declaration
                    + (" (with context)" if step.accepts_context and not step.inline else "")
                ),
                expr(step.function),
                context if step.accepts_context else "",
                None if step.inline is None else dsl_view(step.inline, command, locals_of, expr),
            )
            for step in steps
        )

    return UseCaseView(
        key=literal(uc.qualname),
        qualname=uc.qualname,
        name=name,
        function=function,
        use_case=expr(uc.use_case),
        params=tuple(params),
        param_names=_tuple(literal(p.name) for p in uc.params),
        input=input_view,
        command=command,
        loads=tuple(loads),
        exists=tuple(exists),
        computes=functions(uc.computes) if uc.input is not None else (),
        rules=functions(uc.rules) if uc.input is not None else (),
        execute_comment=sanitize_comment(
            f"{uc.qualname}.execute ({'async' if uc.is_async else 'sync'})"
        ),
        is_async=uc.is_async,
        coroutine=bool(uc.loads or uc.exists),
        call_arguments=", ".join(f"{key}={local}" for key, local in bound),
        specialized_on=_tuple(expr(ref) for ref in uc.specialized_on()),
        inlined=inlined(uc, expr),
        fingerprint=literal(uc.fingerprint),
        shape_digests=literal(section_digests(uc.shape())),
    )


# -- files ---------------------------------------------------------------------------


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


def function_names(module: ModuleIR) -> dict[str, str]:
    """Executor function name per qualname, unique within the module and never
    one of the names the module imports."""
    chosen: dict[str, str] = {}
    taken: set[str] = set(module_names(module).taken)
    for uc in module.use_cases:
        base = function_name(uc.qualname)
        candidate, counter = base, 2
        while candidate in taken:
            candidate = f"{base}_{counter}"
            counter += 1
        taken.add(candidate)
        chosen[uc.qualname] = candidate
    return chosen


def module_names(module: ModuleIR) -> ModuleNames:
    """The module-level names of a generated module."""
    refs = [ref for uc in module.use_cases for ref in uc.specialized_on()]
    refs += [
        step.inline.via
        for uc in module.use_cases
        for step in (*uc.computes, *uc.rules)
        if step.inline is not None and step.inline.via is not None
    ]
    defaults = [uc.use_case for uc in module.use_cases if any(p.has_default for p in uc.params)]
    return ModuleNames(refs, runtime_imports(module.use_cases), defaults)


Formatter = Callable[[Sequence[tuple[str, str]]], list[str]]
"""``formatter(pieces)`` -> each ``(where, code)`` piece black-formatted, in order."""


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
    chosen = function_names(module)
    views = [use_case_view(uc, names, chosen[uc.qualname]) for uc in module.use_cases]
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


def render_module(module: ModuleIR, formatter: Formatter | None = None) -> str:
    """The generated module for one source module (formatted)."""
    return join_pieces((formatter or format_pieces)(module_pieces(module)))


def output_path(module: ModuleIR) -> str:
    """Where a module's executors go inside the generated package."""
    parts = module.module.split(".")
    if module.path.endswith("__init__.py"):
        return "/".join((*parts, "__init__.py"))
    return "/".join(parts) + ".py"


RegistryEntry = tuple[str, str, str, str]
"""``(key, module, function, fingerprint)`` of one registry line."""


def registry_entries(module: ModuleIR) -> list[RegistryEntry]:
    """The registry entries of one module's use cases.

    A use case left to the interpreter is listed as ``(key, "", digest, reason)``,
    ``digest`` being the module text's :func:`~loom.core.engine.fingerprint.source_digest`.
    """
    chosen = function_names(module)
    entries = [
        (uc.key, "." + module.module, chosen[uc.qualname], uc.fingerprint)
        for uc in module.use_cases
    ]
    entries.extend(
        (f"{module.module}:{skipped.qualname}", "", module.source_digest, skipped.reason)
        for skipped in module.interpreted
    )
    return entries


def _plain_string(value: str) -> str | None:
    """``value`` as the double-quoted literal black writes, when no escaping is needed."""
    if '"' in value or "\\" in value or not value.isprintable():
        return None
    return f'"{value}"'


def render_registry_entries(entries: Iterable[RegistryEntry], sources: Iterable[str] = ()) -> str:
    """The registry module (``__init__.py``) listing ``entries``, black-formatted.

    Every entry is written exploded, with magic trailing commas, exactly as
    black leaves it, so the file needs no black run (the registry of a large
    project is its longest file); black formats it only when some literal
    would need escaping or a line would be too long. ``sources`` are the module
    names (packages stand for everything under them) the build read.
    """
    ordered = sorted(entries)
    rows = []
    interpreted = []
    digests: dict[str, str] = {}
    needs_black = False
    for entry in ordered:
        quoted = [_plain_string(value) for value in entry]
        if any(value is None for value in quoted):
            needs_black = True
            quoted = [literal(value) for value in entry]
        key, module, function, fingerprint = quoted
        if not entry[1]:
            interpreted.append({"key": key, "reason": fingerprint})
            if entry[2]:
                digests[entry[0].partition(":")[0]] = entry[2]
            continue
        rows.append(
            {"key": key, "module": module, "function": function, "fingerprint": fingerprint}
        )
    code = (
        environment()
        .get_template("registry.py.jinja")
        .render(
            version=_plain_string(__version__) or literal(__version__),
            format=GENERATED_FORMAT,
            entries=rows,
            interpreted=interpreted,
            digests=[
                {"module": _plain_string(name) or literal(name), "digest": f'"{digest}"'}
                for name, digest in sorted(digests.items())
            ],
            sources=[_plain_string(name) or literal(name) for name in sorted(set(sources))],
        )
    )
    limit = LINE_LENGTH
    if needs_black or any(len(line) > limit for line in code.splitlines()):
        return format_code(code, "__init__.py")
    return code


def render_registry(modules: Sequence[ModuleIR]) -> str:
    return render_registry_entries(
        entry for module in modules for entry in registry_entries(module)
    )


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


__all__ = [
    "RenderError",
    "black_pieces",
    "canonical_text",
    "format_pieces",
    "join_pieces",
    "module_pieces",
    "registry_entries",
    "render_module",
    "render_registry",
    "render_registry_entries",
]
