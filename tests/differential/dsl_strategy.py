"""A Hypothesis strategy drawing compute/rule DSL declarations with requests to run them.

:func:`dsl_examples` draws a :class:`DslExample`: a command schema (``Cmd``
with ``int | None`` fields, patch or not, and optionally a nested model
``sub: Sub | None``, patch or not), computes and rules declared with the DSL
(targets, sources, ``from_params``, nested paths, ``&``/``|`` predicates,
every rule kind and every evaluator outcome), one use case ``UC`` using them,
and requests (params and payloads sending, nulling or leaving out each field).

The example is plain data (:class:`Scenario`) and its module source text
(``sources``, ``{"ucs.py": text}``), so the same draw can be imported and run
by the interpreter, or built by loomgen and compared with it
(``tests.differential.harness.check_sources(workspace, ex.sources, ex.requests,
use_cases=ex.use_cases)``).

The module's ``via`` functions call back into :func:`compute_via` and
:func:`rule_via` here: they record their arguments in :data:`DSL_TRACE` (the
harness's ``TRACE``) and
return a value that depends only on their declared outcome and arguments.
Some declarations are module constants, some are written inline in the lists.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass, replace
from typing import Any

from hypothesis import strategies as st

from loom.core.errors import RuleViolation
from tests.differential.harness import TRACE, Request

DSL_TRACE: list[tuple[Any, ...]] = TRACE
"""``("via", declaration name, repr(arguments))`` for every ``via`` call, in order.

The harness's own journal, so ``check_sources`` compares these calls between
the two modes like everything else the sources' functions see.
"""

RULE_OUTCOMES = ("none", "false", "truthy", "zero", "str", "empty_str", "true", "violation")
"""What a rule evaluator returns: ``str``/``empty_str``/``true``/``violation`` fail."""

PICK = "pick"
"""An evaluator mode choosing one of :data:`RULE_OUTCOMES` from its arguments."""


def _number(value: Any) -> int:
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, int):
        return value
    dumped = getattr(value, "model_dump", None)
    if callable(dumped):
        return sum(_number(item) for item in dumped().values())
    if isinstance(value, dict):
        return sum(_number(item) for item in value.values())
    return 0


def compute_via(name: str, args: tuple[Any, ...]) -> int:
    """The body of every compute ``via``: record, return a number made of the arguments."""
    DSL_TRACE.append(("via", name, repr(args)))
    return (sum(_number(arg) * (index + 2) for index, arg in enumerate(args)) + len(name)) % 97


def rule_outcome(name: str, mode: str, args: tuple[Any, ...]) -> str:
    """The outcome a rule evaluator in ``mode`` has for ``args``."""
    if mode != PICK:
        return mode
    return RULE_OUTCOMES[zlib.crc32(f"{name}{args!r}".encode()) % len(RULE_OUTCOMES)]


def rule_via(name: str, mode: str, args: tuple[Any, ...]) -> Any:
    """The body of every rule evaluator: record, return what ``mode`` says."""
    DSL_TRACE.append(("via", name, repr(args)))
    outcome = rule_outcome(name, mode, args)
    if outcome == "none":
        return None
    if outcome == "false":
        return False
    if outcome == "truthy":
        return 1
    if outcome == "zero":
        return 0
    if outcome == "str":
        return f"{name} says no"
    if outcome == "empty_str":
        return ""
    if outcome == "true":
        return True
    if outcome == "violation":
        return RuleViolation(f"{name}_own", f"{name} returned a violation")
    raise AssertionError(f"unknown rule outcome {outcome}")


# -- the drawn data --------------------------------------------------------------

Path = tuple[str, ...]


@dataclass(frozen=True)
class FieldSpec:
    """An ``int | None`` field (default ``None``); ``patch`` adds ``CommandField(patch=True)``."""

    name: str
    patch: bool


@dataclass(frozen=True)
class Schema:
    """``Cmd``'s fields and, when ``sub_patch`` is not ``None``, ``sub: Sub | None``."""

    top: tuple[FieldSpec, ...]
    sub_patch: bool | None
    nested: tuple[FieldSpec, ...]
    patch_style: str = "inline"
    """How a patch field is written: see :data:`PATCH_STYLES`."""

    def is_patch(self, path: Path) -> bool:
        """Whether the last name of ``path`` is a patch field."""
        if path == ("sub",):
            return bool(self.sub_patch)
        fields = self.top if len(path) == 1 else self.nested
        return next(f.patch for f in fields if f.name == path[-1])

    def paths(self) -> list[Path]:
        """Every path of the schema, ``("sub",)`` included."""
        paths: list[Path] = [(f.name,) for f in self.top]
        if self.sub_patch is not None:
            paths.append(("sub",))
            paths.extend(("sub", f.name) for f in self.nested)
        return paths

    def int_paths(self) -> list[Path]:
        """The paths holding ints: what a compute may set."""
        return [path for path in self.paths() if path != ("sub",)]


@dataclass(frozen=True)
class Pred:
    """A ``when_present`` predicate: ``op`` is ``ref`` (with ``path``), ``and`` or ``or``."""

    op: str
    path: Path = ()
    left: Pred | None = None
    right: Pred | None = None


@dataclass(frozen=True)
class ComputeDecl:
    """``Compute.set(target).from_command(*sources | whole, via=).from_params().when_present()``."""

    name: str
    target: Path
    sources: tuple[Path, ...]
    whole_command: bool
    via: bool
    params: tuple[str, ...]
    predicate: Pred | None
    inline: bool


@dataclass(frozen=True)
class RuleDecl:
    """One ``Rule.check``/``Rule.forbid``/``Rule.require_present`` declaration.

    ``targets``: the ``check`` targets or the ``require_present`` target.
    ``from_command``: ``None`` when not called, ``()`` for the whole command.
    ``field``/``message``: the keyword arguments given (``None``: left out).
    ``mode``: the evaluator's outcome (one of :data:`RULE_OUTCOMES` or ``pick``).
    """

    name: str
    kind: str
    targets: tuple[Path, ...]
    from_command: tuple[Path, ...] | None
    params: tuple[str, ...]
    predicate: Pred | None
    field: str | None
    message: str | None
    mode: str
    inline: bool


@dataclass(frozen=True)
class Scenario:
    """Everything drawn: the schema, the execute parameters and the declarations."""

    schema: Schema
    params: tuple[str, ...]
    computes: tuple[ComputeDecl, ...]
    rules: tuple[RuleDecl, ...]
    rebind: tuple[str, str] | None = None
    """``(via function, how)`` rebound after ``UC``: ``same``, ``second_def`` or ``del``."""
    constants: bool = False
    """Declarations written inline are module constants of a second name too
    (``C0 = ...``, then ``ALSO_C0 = C0`` in the list)."""

    @property
    def twisted(self) -> bool:
        return (
            self.schema.patch_style != "inline" or self.rebind is not None or self.constants
        )


# -- rendering -------------------------------------------------------------------


def render_path(path: Path) -> str:
    return "F(Cmd)." + ".".join(path)


def render_pred(pred: Pred) -> str:
    if pred.op == "ref":
        return render_path(pred.path)
    assert pred.left is not None and pred.right is not None
    symbol = "&" if pred.op == "and" else "|"
    return f"({render_pred(pred.left)} {symbol} {render_pred(pred.right)})"


PATCH_STYLES = ("inline", "alias", "generic", "positional", "constant", "outside", "module")
"""``Annotated[int | None, CommandField(patch=True)]`` written in place (``inline``),
through a module alias ``PatchInt`` (``alias``), a generic ``Patch[int]``
(``generic``), ``CommandField(False, False, True)`` (``positional``), ``CommandField(patch=PATCH)``
(``constant``), a generic alias imported from a package outside the sources
(``outside``), or the same reached as ``lp.Patch[int]`` (``module``)."""

PATCH_ALIASES = (
    "from typing import Annotated, TypeVar\n\nfrom loom.core.use_case import CommandField\n\n"
    'T = TypeVar("T")\nPatch = Annotated[T | None, CommandField(patch=True)]\n'
)
"""``patch.py`` of the package outside the sources (``outside`` and ``module`` styles)."""


def _field_line(field: FieldSpec, annotation: str = "int | None", style: str = "inline") -> str:
    if field.patch:
        inner = annotation.removesuffix(" | None")
        if style == "alias" and inner == "int":
            annotation = "PatchInt"
        elif style in ("generic", "outside"):
            annotation = f"Patch[{inner}]"
        elif style == "module":
            annotation = f"lp.Patch[{inner}]"
        elif style == "positional":
            annotation = f"Annotated[{annotation}, CommandField(False, False, True)]"
        elif style == "constant":
            annotation = f"Annotated[{annotation}, CommandField(patch=PATCH)]"
        else:
            annotation = f"Annotated[{annotation}, CommandField(patch=True)]"
    return f"    {field.name}: {annotation} = None"


def _patch_lines(style: str) -> list[str]:
    if style == "alias":
        return ["", "PatchInt = Annotated[int | None, CommandField(patch=True)]", ""]
    if style == "generic":
        return [
            "",
            "from typing import TypeVar",
            "",
            'T = TypeVar("T")',
            "Patch = Annotated[T | None, CommandField(patch=True)]",
            "",
        ]
    if style == "constant":
        return ["", "PATCH = True", ""]
    if style == "outside":
        return ["from __LIB__.patch import Patch", ""]
    if style == "module":
        return ["import __LIB__.patch as lp", ""]
    return []


def render_compute(decl: ComputeDecl) -> str:
    sources = [render_path(p) for p in decl.sources]
    if decl.via:
        sources.append(f"via=via_{decl.name}")
    text = f"Compute.set({render_path(decl.target)}).from_command({', '.join(sources)})"
    if decl.params:
        text += f".from_params({', '.join(map(repr, decl.params))})"
    if decl.predicate is not None:
        text += f".when_present({render_pred(decl.predicate)})"
    return text


def render_rule(decl: RuleDecl) -> str:
    keywords = []
    if decl.field is not None:
        keywords.append(f"field={decl.field!r}")
    if decl.message is not None:
        keywords.append(f"message={decl.message!r}")
    if decl.kind == "check":
        arguments = [*map(render_path, decl.targets), f"via=via_{decl.name}", *keywords]
    elif decl.kind == "forbid":
        arguments = [f"via_{decl.name}", *keywords]
    else:
        arguments = [render_path(decl.targets[0]), *keywords]
    text = f"Rule.{decl.kind}({', '.join(arguments)})"
    if decl.from_command is not None:
        text += f".from_command({', '.join(map(render_path, decl.from_command))})"
    if decl.params:
        text += f".from_params({', '.join(map(repr, decl.params))})"
    if decl.predicate is not None:
        text += f".when_present({render_pred(decl.predicate)})"
    return text


def render(scenario: Scenario) -> str:
    """The source of the module ``ucs``: models, via functions, declarations, ``UC``."""
    schema = scenario.schema
    lines = [
        "from typing import Annotated, Any",
        "",
        "from loom.core.command import Command",
        "from loom.core.use_case import CommandField, Compute, F, Input, Rule, UseCase",
        "from tests.differential.dsl_strategy import compute_via, rule_via",
        "",
        *_patch_lines(schema.patch_style),
    ]
    style = schema.patch_style

    def field_line(field: FieldSpec) -> str:
        return _field_line(field, style=style)

    if schema.sub_patch is not None:
        lines += ["", "class Sub(Command):", *map(field_line, schema.nested), ""]
    lines += ["", "class Cmd(Command):", *map(field_line, schema.top)]
    if schema.sub_patch is not None:
        lines.append(_field_line(FieldSpec("sub", schema.sub_patch), "Sub | None", style))
    lines.append("")
    for compute in scenario.computes:
        if compute.via:
            lines += [
                "",
                f"def via_{compute.name}(*args: Any) -> Any:",
                f"    return compute_via({compute.name!r}, args)",
            ]
    for rule in scenario.rules:
        if rule.kind != "require_present":
            lines += [
                "",
                f"def via_{rule.name}(*args: Any) -> Any:",
                f"    return rule_via({rule.name!r}, {rule.mode!r}, args)",
            ]
    lines.append("")
    entries: dict[str, list[str]] = {"computes": [], "rules": []}
    declared: list[tuple[str, str, bool]] = [
        *(("computes", c.name, c.inline) for c in scenario.computes),
        *(("rules", r.name, r.inline) for r in scenario.rules),
    ]
    texts = {c.name: render_compute(c) for c in scenario.computes}
    texts.update({r.name: render_rule(r) for r in scenario.rules})
    for attribute, name, inline in declared:
        if inline and not scenario.constants:
            entries[attribute].append(texts[name])
        elif inline:
            lines.append(f"{name} = {texts[name]}")
            lines.append(f"ALSO_{name} = {name}")
            entries[attribute].append(f"ALSO_{name}")
        else:
            lines.append(f"{name} = {texts[name]}")
            entries[attribute].append(name)
    params = "".join(f"{name}: int, " for name in scenario.params)
    lines += [
        "",
        "",
        "class UC(UseCase[Any, Any]):",
        f"    computes = [{', '.join(entries['computes'])}]",
        f"    rules = [{', '.join(entries['rules'])}]",
        "",
        f"    async def execute(self, {params}cmd: Cmd = Input()) -> Any:",
        "        return cmd",
        "",
    ]
    if scenario.rebind is not None:
        name, how = scenario.rebind
        if how == "same":
            lines += ["", f"{name} = {name}", ""]
        elif how == "second_def":
            lines += ["", "", f"def {name}(*args: Any) -> Any:", "    return None", ""]
        else:
            lines += ["", f"del {name}", ""]
    return "\n".join(lines)


# -- drawing ---------------------------------------------------------------------

TOP_NAMES = ("f0", "f1", "f2", "f3")
NESTED_NAMES = ("g0", "g1", "g2")
PARAM_NAMES = ("p0", "p1", "p2")


@st.composite
def schemas(draw: Any) -> Schema:
    count = draw(st.integers(1, len(TOP_NAMES)))
    top = tuple(FieldSpec(name, draw(st.booleans())) for name in TOP_NAMES[:count])
    sub_patch = draw(st.sampled_from((None, False, True)))
    nested: tuple[FieldSpec, ...] = ()
    if sub_patch is not None:
        count = draw(st.integers(1, len(NESTED_NAMES)))
        nested = tuple(FieldSpec(name, draw(st.booleans())) for name in NESTED_NAMES[:count])
    style = draw(st.sampled_from(("inline",) * 6 + PATCH_STYLES[1:]))
    return Schema(top, sub_patch, nested, style)


def predicates(schema: Schema) -> st.SearchStrategy[Pred]:
    refs = st.sampled_from(schema.paths()).map(lambda path: Pred("ref", path))
    return st.recursive(
        refs,
        lambda inner: st.builds(Pred, st.sampled_from(("and", "or")), st.just(()), inner, inner),
        max_leaves=4,
    )


def _params(draw: Any, available: tuple[str, ...]) -> tuple[str, ...]:
    if not available:
        return ()
    return tuple(draw(st.lists(st.sampled_from(available), max_size=2)))


@st.composite
def compute_decls(draw: Any, schema: Schema, params: tuple[str, ...], index: int) -> ComputeDecl:
    name = f"C{index}"
    shape = draw(st.sampled_from(("copy", "via", "whole")))
    sources: tuple[Path, ...] = ()
    if shape == "copy":
        sources = (draw(st.sampled_from(schema.int_paths())),)
    elif shape == "via":
        sources = tuple(draw(st.lists(st.sampled_from(schema.paths()), min_size=1, max_size=3)))
    return ComputeDecl(
        name=name,
        target=draw(st.sampled_from(schema.int_paths())),
        sources=sources,
        whole_command=shape == "whole",
        via=shape != "copy",
        params=() if shape == "copy" else _params(draw, params),
        predicate=draw(st.none() | predicates(schema)),
        inline=draw(st.booleans()),
    )


@st.composite
def rule_decls(draw: Any, schema: Schema, params: tuple[str, ...], index: int) -> RuleDecl:
    name = f"R{index}"
    kind = draw(st.sampled_from(("check", "forbid", "require_present")))
    paths = st.sampled_from(schema.paths())
    messages = st.none() | st.sampled_from(("", "not allowed", f"{name} message"))
    predicate = draw(st.none() | predicates(schema))
    if kind == "require_present":
        return RuleDecl(
            name=name,
            kind=kind,
            targets=(draw(paths),),
            from_command=None,
            params=(),
            predicate=predicate,
            field=draw(st.none() | st.sampled_from(("", "custom_field"))),
            message=draw(messages),
            mode="none",
            inline=draw(st.booleans()),
        )
    targets: tuple[Path, ...] = ()
    if kind == "check":
        targets = tuple(draw(st.lists(paths, min_size=1, max_size=2)))
    from_command = draw(st.none() | st.lists(paths, max_size=2).map(tuple))
    return RuleDecl(
        name=name,
        kind=kind,
        targets=targets,
        from_command=from_command,
        params=_params(draw, params),
        predicate=predicate,
        field=None,
        message=draw(messages) if kind == "check" else draw(st.sampled_from(("", "forbidden"))),
        mode=draw(st.sampled_from((*RULE_OUTCOMES, PICK, PICK))),
        inline=draw(st.booleans()),
    )


@st.composite
def scenarios(draw: Any) -> Scenario:
    schema = draw(schemas())
    params = PARAM_NAMES[: draw(st.integers(0, len(PARAM_NAMES)))]
    usable = (*params, "cmd")
    computes = tuple(
        draw(compute_decls(schema, usable, index)) for index in range(draw(st.integers(0, 3)))
    )
    rules = tuple(
        draw(rule_decls(schema, usable, index)) for index in range(draw(st.integers(1, 4)))
    )
    functions = [f"via_{c.name}" for c in computes if c.via]
    functions += [f"via_{r.name}" for r in rules if r.kind != "require_present"]
    rebind = None
    if functions and draw(st.integers(0, 7)) == 0:
        rebind = (
            draw(st.sampled_from(functions)),
            draw(st.sampled_from(("same", "second_def", "del"))),
        )
    constants = draw(st.integers(0, 9)) == 0
    return Scenario(schema, params, computes, rules, rebind, constants)


VALUES = st.none() | st.integers(-3, 3)


@st.composite
def payloads(draw: Any, schema: Schema) -> dict[str, Any]:
    """Each field sent with a value, sent as ``null`` or left out."""
    payload: dict[str, Any] = {}
    for field in schema.top:
        if draw(st.booleans()):
            payload[field.name] = draw(VALUES)
    if schema.sub_patch is not None:
        how = draw(st.integers(0, 9))  # 0-1: left out, 2: null, 3-9: an object
        if how == 2:
            payload["sub"] = None
        elif how > 2:
            payload["sub"] = {
                field.name: draw(VALUES) for field in schema.nested if draw(st.booleans())
            }
    return payload


@dataclass(frozen=True)
class DslExample:
    """One draw: the scenario, its source, and the requests to run on ``UC``."""

    scenario: Scenario
    sources: dict[str, str]
    requests: list[Request]
    use_cases: list[str]

    @property
    def outside(self) -> dict[str, str] | None:
        """The package outside the sources (see the harness's ``build``)."""
        return {"patch.py": PATCH_ALIASES}

    @property
    def allow_left(self) -> bool:
        """Whether ``UC`` may be left to the interpreter (with a reason)."""
        return self.scenario.twisted

    def __repr__(self) -> str:
        parts = [f"# --- {path}\n{text}" for path, text in self.sources.items()]
        parts += ["# --- requests", *map(repr, self.requests)]
        return "\n".join(parts)


@st.composite
def dsl_examples(draw: Any, max_requests: int = 4, twists: bool = True) -> DslExample:
    """Draw a scenario and 1..``max_requests`` requests for its use case ``UC``.

    ``twists=False``: no forms a build may leave to the interpreter (patch fields
    written in place, nothing rebound, no second names), for a reference model
    that imports the module alone and calls its ``via`` functions by name.
    """
    scenario = draw(scenarios())
    if not twists:
        scenario = replace(
            scenario,
            schema=replace(scenario.schema, patch_style="inline"),
            rebind=None,
            constants=False,
        )
    requests = [
        Request(
            "UC",
            params={name: draw(st.integers(-2, 2)) for name in scenario.params},
            payload=draw(payloads(scenario.schema)),
        )
        for _ in range(draw(st.integers(1, max_requests)))
    ]
    return DslExample(scenario, {"ucs.py": render(scenario)}, requests, ["UC"])


__all__ = [
    "DSL_TRACE",
    "ComputeDecl",
    "DslExample",
    "FieldSpec",
    "PICK",
    "Pred",
    "RULE_OUTCOMES",
    "RuleDecl",
    "Scenario",
    "Schema",
    "compute_via",
    "dsl_examples",
    "render",
    "rule_outcome",
    "rule_via",
    "scenarios",
]
