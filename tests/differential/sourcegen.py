"""Hypothesis strategies that write use case *source modules* as text.

A :class:`ModuleSpec` describes a small package: entities, commands, compute
and rule functions and use cases (``UseCase`` or ``Job``, sync or async,
read-only or not, some deriving from others), laid out in one module or split
over ``models.py``/``fns.py``/``ucs.py``, with several import styles.
:func:`render` turns it into source text; :func:`examples` also draws the
requests to run against every use case. Everything generated is meant to be
accepted by loomgen without a diagnostic; the harness checks that too.

Function bodies call :mod:`tests.differential.harness` (``finish``,
``compute_step``, ``rule_step``) so that what they do is chosen by the spec and
what they saw lands in the harness's trace.

``KNOWN_BUGS`` lists bug classes the differential test already found: while a
name is in it, the generator avoids what triggers that bug (its regression
test in ``test_regressions.py`` keeps failing until the fix lands; then remove
the name here so the fuzzer covers that ground again).
"""

from __future__ import annotations

import keyword
import re
import unicodedata
import dataclasses
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from hypothesis import strategies as st

from loom.core.job import Job
from loom.core.use_case import UseCase
from tests.differential.harness import ERROR, HIT, MISS, Raw, RepoSpec, Request

KNOWN_BUGS: frozenset[str] = frozenset()
"""Empty: every bug class found so far is fixed (see ``test_regressions.py``)."""

# -- pools -------------------------------------------------------------------------

# fmt: off
GENERATED_LOCALS = (
    "params", "payload", "dependencies", "load_overrides", "runtime", "debug", "fields_set",
    "from_payload", "repository", "value", "violations", "violation", "use_case", "outcome",
)
RUNTIME_NAMES = (
    "Mapping", "Any", "StepRuntime", "build_command", "convert_parameter", "find_repository",
    "missing_parameter", "not_found", "RuleViolation", "RuleViolations", "SPECIALIZED_ON",
    "annotations",
)
BUILTIN_NAMES = (
    "int", "str", "float", "bool", "isinstance", "KeyError", "dict", "type", "getattr", "len",
    "list",
)
PLAIN_NAMES = (
    "x", "y", "n", "name", "email", "user_id", "id", "order_id", "größe", "flag", "ratio", "tags",
    "cmd", "command", "user", "order", "taken", "found",
    # module-level names of the sources and of the generated module
    "User", "Order", "Cmd", "c0", "r0", "UC0", "mdl", "models", "fx", "fns", "bm", "base",
    "run_uc0",
    *GENERATED_LOCALS, *RUNTIME_NAMES, *BUILTIN_NAMES,
    "ﬁx", "ｘ",  # not NFKC-normal: Python stores them as "fix" and "x"
)
ENTITY_NAMES = (
    "User", "Order", "Größe", "Item", "KeyError", "getattr", "run_uc2", *GENERATED_LOCALS,
)
COMMAND_NAMES = ("Cmd", "CreateCmd", "Befehl", "isinstance", *GENERATED_LOCALS)
FUNCTION_NAMES = (
    "c0", "c1", "c2", "r0", "r1", "r2", "normalize", "prüfen", "check",
    "bool", "dict", "type", "getattr", "build_command", "not_found", "Mapping", "StepRuntime",
    "find_repository", "SPECIALIZED_ON",
    "run_uc0", "run_uc1", "run_place_order",  # the executors' own names
    *GENERATED_LOCALS,  # the names the executors bind inside
)
MODULE_ALIASES = ("mdl", "fx", *GENERATED_LOCALS)
"""What ``ucs.py`` calls the models and functions modules it imports whole."""
USE_CASE_NAMES = ("UC0", "UC1", "UC2", "UC3", "ÄndereBestellung", "PlaceOrder", "Ｆull")
FIELD_NAMES = (
    "name", "email", "count", "ratio", "flag", "note", "class_", "größe", "user_id", "value",
    "params", "id",
)
ALIASES = ("Name", "e-mail", "class", "with space", "größe-x", "Ünïcode", "1st", "$x", 'a"b')
AGAINST = ("email", "name", "id", "größe", "with space", "class", 'x"y', "a\\b", "line\nbreak")
PROFILES = ("default", "full", "summary", 'with "quotes"', "ünï", "a\\b", "x\ny", "'", "{{ x }}")

# Names the source modules themselves import: never reused for definitions.
RESERVED = frozenset({
    "Any", "Optional", "Decimal", "Field", "dataclass", "Command", "UseCase", "Job", "Input",
    "LoadById", "Load", "Exists", "OnMissing", "lu", "lj", "TRACE", "finish", "compute_step",
    "rule_step", "annotations", "models", "fns", "mdl", "fx", "typing", "bm", "base",
    "Annotated", "Text", "Payload", "ById", "Fetch", "Has", "Missing", "Base", "Task",
})

PARAM_TYPES = (
    None, "int", "str", "float", "bool", "Optional[int]", "int | None", "str | None", "Any",
    "object", "Decimal", "list[int]", "'int'", "'Optional[str]'", "None",
    "Annotated[int, 'doc']", "Annotated[str, 0]", "'Annotated[float, \"x\"]'", "Text",
)
FIELD_TYPES = (
    "int", "str", "float", "bool", "int | None", "Optional[str]", "Any", "list[int]", "Decimal",
)
FIELD_DEFAULTS = {
    "int": ("0", "7"),
    "str": ('"d"', "''"),
    "float": ("1.5",),
    "bool": ("True", "False"),
    "int | None": ("None", "3"),
    "Optional[str]": ("None", '"o"'),
    "Any": ("None", "0"),
    "list[int]": ("[]",),
    "Decimal": ('Decimal("1.5")',),
}
GOOD_VALUES: dict[str | None, tuple[Any, ...]] = {
    None: (1, "a"),
    "int": (5, "5", -3),
    "str": ("s", "", "ü"),
    "float": (1.5, "2.5", 3),
    "bool": (True, False, 0),
    "Optional[int]": (None, 4),
    "int | None": (None, 4),
    "str | None": (None, "s"),
    "Optional[str]": (None, "s"),
    "Any": (None, 1, "a"),
    "object": (1,),
    "Decimal": (Decimal("1.5"), "2.5", 3),
    "list[int]": ([1, 2], []),
    "'int'": (5, "6"),
    "'Optional[str]'": (None, "t"),
    "None": (None,),
    "Annotated[int, 'doc']": (5, "5"),
    "Annotated[str, 0]": ("s", "ü"),
    "'Annotated[float, \"x\"]'": (1.5, "2.5"),
    "Text": ("s", ""),
}
ANY_VALUES: tuple[Any, ...] = (
    0, 1, -7, 2**70, "1", "abc", "", " 7 ", "1.5", "true", "ß", 1.5, float("nan"), float("inf"),
    True, False, None, [1, 2], {"k": 1}, Decimal("2.5"), b"7",
)
PAYLOAD_VALUES: tuple[Any, ...] = (
    0, 1, "1", "abc", "", 1.5, True, None, [1, 2], {"k": 1}, 2**64, "xyz",
)
ANSWERS: tuple[Any, ...] = (
    HIT, MISS, HIT, MISS, ERROR, Raw(0), Raw(False), Raw(""), Raw(1), Raw("yes"), Raw(None),
    Raw([]),
)
# fmt: on

# (parameters, command expression, fields_set expression, context expression)
SIGNATURES = (
    ("cmd, fields_set", "cmd", "fields_set", "None"),
    ("cmd, fields_set, context", "cmd", "fields_set", "context"),
    ("command, fs, ctx", "command", "fs", "ctx"),
    ("cmd, fields_set, context=None", "cmd", "fields_set", "context"),
    ("cmd, fields_set, *rest", "cmd", "fields_set", "rest"),
    ("cmd, *args", "cmd", "args[0]", "args[1:]"),
    ("*args", "args[0]", "args[1]", "args[2:]"),
    ("cmd, fields_set, /", "cmd", "fields_set", "None"),
    ("cmd, fields_set, context, /", "cmd", "fields_set", "context"),
    ("cmd, fields_set, *, extra=1", "cmd", "fields_set", "extra"),
    ("cmd, fields_set, **kw", "cmd", "fields_set", "kw"),
    ("cmd, fields_set, context, extra=None", "cmd", "fields_set", "(context, extra)"),
    ("cmd, fields_set=frozenset()", "cmd", "fields_set", "None"),
)
COMPUTE_MODES = ("identity", "tag", "tag_context", "raise_pick", "none")
RULE_MODES = (
    "ok",
    "ok",
    "violate",
    "violate_pick",
    "violate_if_empty",
    "value_error_pick",
    "key_error",
    "not_found",
    "violations",
)


def nfkc(name: str) -> str:
    return unicodedata.normalize("NFKC", name)


# -- the spec ----------------------------------------------------------------------


@dataclass(frozen=True)
class FieldSpec:
    name: str
    annotation: str
    alias: str | None
    default: str | None


@dataclass(frozen=True)
class CommandSpec:
    name: str
    fields: tuple[FieldSpec, ...]
    frozen_keyword: bool


@dataclass(frozen=True)
class FunctionSpec:
    name: str
    kind: str  # "compute" or "rule"
    signature: int
    mode: str


@dataclass(frozen=True)
class MarkerSpec:
    kind: str  # Input, LoadById, Load, Exists
    entity: str | None
    entity_keyword: bool
    arguments: tuple[tuple[str, str], ...]  # (keyword, source text)
    constants: bool = False  # arguments hoisted into module-level constants


@dataclass(frozen=True)
class ParamSpec:
    name: str
    annotation: str | None
    default: str | None = None  # plain parameters only
    marker: MarkerSpec | None = None


@dataclass(frozen=True)
class ExecuteSpec:
    params: tuple[ParamSpec, ...]
    keyword_only: bool
    is_async: bool
    fail: str
    command: CommandSpec | None
    star_args: bool = False  # ``*args`` (instead of a bare ``*`` when keyword-only)
    star_kwargs: bool = False  # a trailing ``**kwargs``

    @property
    def plain(self) -> tuple[ParamSpec, ...]:
        return tuple(p for p in self.params if p.marker is None)

    @property
    def entities(self) -> tuple[str, ...]:
        found: list[str] = []
        for p in self.params:
            if (
                p.marker is not None
                and p.marker.entity is not None
                and p.marker.entity not in found
            ):
                found.append(p.marker.entity)
        return tuple(found)


@dataclass(frozen=True)
class UseCaseSpec:
    name: str
    kind: str  # UseCase or Job
    parents: tuple[str, ...]
    execute: ExecuteSpec | None
    computes: tuple[str, ...] | None
    rules: tuple[str, ...] | None
    read_only: str | None
    sequence_style: str  # list, tuple, annotated
    lambdas: bool = False  # computes and rules written inline as lambdas
    nested: str | None = None  # the class it is nested in, if any

    @property
    def path(self) -> str:
        """Its qualified name, as requests reach it."""
        return f"{self.nested}.{nfkc(self.name)}" if self.nested else nfkc(self.name)


@dataclass(frozen=True)
class ModuleSpec:
    layout: str  # single, split or split_bases
    future: bool
    loom_style: str  # names, markers_module, module_alias
    models_style: str  # from or module (split layout)
    fns_style: str  # from or module (split layout)
    entities: tuple[str, ...]
    commands: tuple[CommandSpec, ...]
    functions: tuple[FunctionSpec, ...]
    use_cases: tuple[UseCaseSpec, ...]
    models_alias: str = "mdl"
    fns_alias: str = "fx"
    outside: str | None = None
    """``base``: use cases without parents derive from a base class in a package
    outside the sources; ``alias``: ``int``/``Optional[int]``/``str`` parameters
    are annotated through aliases (and a ``NewType``) from there."""
    marker_constants: bool = False
    """Every marker is a module constant (``_UC0_m0 = LoadById(...)``)."""
    rebind: tuple[str, str] | None = None
    """``(function, how)``: after the use cases, the module rebinds that name:
    ``same`` (``f = f``), ``wrapper`` (another object calling it) or ``del``."""

    @property
    def twisted(self) -> bool:
        """Whether a form loomgen may leave to the interpreter is drawn."""
        return self.outside is not None or self.marker_constants or self.rebind is not None

    def use_case(self, name: str) -> UseCaseSpec:
        return next(uc for uc in self.use_cases if uc.name == name)

    def mro(self, name: str) -> list[UseCaseSpec | str]:
        """``name``'s real method resolution order: spec classes, and ``"UseCase"``
        or ``"Job"`` where loom's base classes come (they define ``computes``,
        ``rules``, ``read_only`` and an abstract ``execute`` too)."""
        classes: dict[str, type] = {}
        for uc in self.use_cases:
            bases = tuple(classes[p] for p in uc.parents) or (
                UseCase if uc.kind == "UseCase" else Job,
            )
            classes[uc.name] = type(nfkc(uc.name), bases, {})
        by_class: dict[type, UseCaseSpec | str] = {classes[uc.name]: uc for uc in self.use_cases}
        by_class[UseCase] = "UseCase"
        by_class[Job] = "Job"
        return [by_class[c] for c in classes[name].__mro__ if c in by_class]

    def effective(self, name: str, attribute: str) -> Any:
        """What ``attribute`` is on the class ``name`` (``None``: loom's default)."""
        for uc in self.mro(name):
            if isinstance(uc, str):
                return None
            value = getattr(uc, attribute)
            if value is not None:
                return value
        return None


# -- rendering -----------------------------------------------------------------------


LOOM_ALIASES = {
    "Exists": "Has",
    "Input": "Payload",
    "Load": "Fetch",
    "LoadById": "ById",
    "OnMissing": "Missing",
    "UseCase": "Base",
    "Job": "Task",
}


def _loom(spec: ModuleSpec, name: str) -> str:
    if spec.loom_style == "module_alias":
        return f"lj.{name}" if name == "Job" else f"lu.{name}"
    if spec.loom_style == "aliases":
        return LOOM_ALIASES[name]
    return name


def _loom_imports(spec: ModuleSpec) -> list[str]:
    if spec.loom_style == "module_alias":
        return ["import loom.core.job as lj", "import loom.core.use_case as lu"]
    if spec.loom_style == "aliases":
        names = ", ".join(
            f"{name} as {alias}" for name, alias in sorted(LOOM_ALIASES.items()) if name != "Job"
        )
        return ["from loom.core.job import Job as Task", f"from loom.core.use_case import {names}"]
    if spec.loom_style == "markers_module":
        return [
            "from loom.core.job import Job",
            "from loom.core.use_case import UseCase",
            "from loom.core.use_case.markers import Exists, Input, Load, LoadById, OnMissing",
        ]
    return [
        "from loom.core.job.job import Job",
        "from loom.core.use_case import Exists, Input, Load, LoadById, OnMissing, UseCase",
    ]


HEADER = "from decimal import Decimal\n" "from typing import Annotated, Any, Optional, Text\n"


def _render_models(spec: ModuleSpec) -> list[str]:
    out: list[str] = []
    for entity in spec.entities:
        out.append(
            f"@dataclass(frozen=True)\nclass {entity}:\n    id: Any = None\n    name: Any = None\n"
        )
    for command in spec.commands:
        base = "Command, frozen=True" if command.frozen_keyword else "Command"
        lines = [f"class {command.name}({base}):"]
        for f in command.fields:
            if f.alias is not None:
                default = f"default={f.default}, " if f.default is not None else ""
                lines.append(f"    {f.name}: {f.annotation} = Field({default}alias={f.alias!r})")
            elif f.default is not None:
                lines.append(f"    {f.name}: {f.annotation} = {f.default}")
            else:
                lines.append(f"    {f.name}: {f.annotation}")
        if not command.fields:
            lines.append("    pass")
        out.append("\n".join(lines) + "\n")
    return out


def _render_functions(spec: ModuleSpec) -> list[str]:
    out = []
    for fn in spec.functions:
        params, cmd, fs, ctx = SIGNATURES[fn.signature]
        helper = "compute_step" if fn.kind == "compute" else "rule_step"
        keyword_ = "return " if fn.kind == "compute" else ""
        out.append(
            f"def {fn.name}({params}):\n"
            f"    {keyword_}{helper}({fn.name!r}, {fn.mode!r}, {cmd}, {fs}, {ctx})\n"
        )
    return out


def _on_missing(spec: ModuleSpec, member: str, style: int) -> str:
    if style == 0:
        return repr(member.lower())
    return f"{_loom(spec, 'OnMissing')}.{member}"


def render_marker(
    spec: ModuleSpec,
    marker: MarkerSpec,
    entity_expr: Any,
    hoisted: list[str] | None = None,
    prefix: str = "_k",
) -> str:
    """The marker call; with ``marker.constants``, its arguments become module
    constants (appended to ``hoisted`` as ``<prefix>N = value`` lines)."""
    call = _loom(spec, marker.kind)
    if marker.kind == "Input":
        return _hoisted(spec, f"{call}()", hoisted, prefix)
    args = []
    if marker.entity_keyword:
        args.append(f"entity_type={entity_expr(marker.entity)}")
    else:
        args.append(entity_expr(marker.entity))
    for keyword_, text in marker.arguments:
        if keyword_ == "on_missing":
            member, style = text.split(":")
            text = _on_missing(spec, member, int(style))
        if marker.constants and hoisted is not None:
            name = f"{prefix}{len(hoisted)}"
            hoisted.append(f"{name} = {text}")
            text = name
        args.append(f"{keyword_}={text}")
    return _hoisted(spec, f"{call}({', '.join(args)})", hoisted, prefix)


def _hoisted(spec: ModuleSpec, text: str, hoisted: list[str] | None, prefix: str) -> str:
    """``text``, or (``spec.marker_constants``) the module constant now holding it."""
    if not spec.marker_constants or hoisted is None:
        return text
    name = f"{prefix}m{len(hoisted)}"
    hoisted.append(f"{name} = {text}")
    return name


OUTSIDE_ALIASES = {"int": "LibInt", "Optional[int]": "LibMaybeInt", "str": "LibText"}
"""Parameter annotations an ``alias`` spec writes through the outside package."""

OUTSIDE_FILES = {
    "base.py": (
        "from typing import Any\n\nfrom loom.core.job import Job\n"
        "from loom.core.use_case import UseCase\n\n\n"
        "class LibUseCase(UseCase[Any, Any]):\n"
        '    """A base class outside the sources."""\n\n'
        "    def describe(self) -> str:\n        return type(self).__name__\n\n\n"
        "class LibJob(Job[Any]):\n    pass\n"
    ),
    "types.py": (
        "from typing import NewType, Optional\n\n"
        "LibInt = int\nLibMaybeInt = Optional[int]\nLibText = str\n"
        'LibKey = NewType("LibKey", int)\n'
    ),
}
"""The package outside the sources (``__LIB__``, see the harness)."""


def _outside_imports(spec: ModuleSpec) -> list[str]:
    if spec.outside == "base":
        return ["from __LIB__.base import LibJob, LibUseCase"]
    if spec.outside == "alias":
        return ["from __LIB__.types import LibInt, LibKey, LibMaybeInt, LibText"]
    return []


def _rebinding(spec: ModuleSpec) -> str:
    if spec.rebind is None:
        return ""
    name, how = spec.rebind
    if how == "same":
        return f"\n\n{name} = {name}\n"
    if how == "wrapper":
        return f"\n\n{name} = (lambda wrapped: lambda *args: wrapped(*args))({name})\n"
    return f"\n\ndel {name}\n"


def _lambda(fn: FunctionSpec) -> str:
    params, cmd, fs, ctx = SIGNATURES[fn.signature]
    helper = "compute_step" if fn.kind == "compute" else "rule_step"
    return f"lambda {params}: {helper}({fn.name!r}, {fn.mode!r}, {cmd}, {fs}, {ctx})"


def render(spec: ModuleSpec) -> dict[str, str]:
    """The package's files: ``{relative path: text}``.

    ``single``: everything in ``ucs.py``. ``split``: entities and commands in
    ``models.py``, computes and rules in ``fns.py``, use cases in ``ucs.py``.
    ``split_bases``: as ``split``, but the first use case lives in ``base.py``
    (importing the models as ``bm``), where ``ucs.py`` imports it from.
    """
    future = "from __future__ import annotations\n\n" if spec.future else ""
    harness = "from tests.differential.harness import compute_step, finish, rule_step\n"
    models = _render_models(spec)
    functions = _render_functions(spec)
    model_imports = (
        HEADER + "from dataclasses import dataclass\n\nfrom pydantic import Field\n\n"
        "from loom.core.command import Command\n"
    )
    if spec.layout == "single":
        use_cases = [_render_use_case(spec, uc, str, str) for uc in spec.use_cases]
        text = (
            future
            + model_imports
            + "\n".join([*_loom_imports(spec), *_outside_imports(spec)])
            + "\n"
            + harness
            + "\n\n"
            + "\n\n".join(models + functions + use_cases)
            + _rebinding(spec)
        )
        return {"ucs.py": text}

    def module(
        use_cases: tuple[UseCaseSpec, ...],
        models_alias: str | None,
        fns_alias: str | None,
        extra: list[str],
    ) -> str:
        def entity_expr(name: str) -> str:
            return name if models_alias is None else f"{models_alias}.{name}"

        def function_expr(name: str) -> str:
            return name if fns_alias is None else f"{fns_alias}.{name}"

        imports = [HEADER, *_loom_imports(spec), *_outside_imports(spec), harness]
        commands = [c.name for c in spec.commands]
        if models_alias is not None:
            imports.append(f"from . import models as {models_alias}")
            names = commands
        else:
            names = [*spec.entities, *commands]
        if names:
            imports.append("from .models import " + ", ".join(names))
        if spec.functions:
            if fns_alias is not None:
                imports.append(f"from . import fns as {fns_alias}")
            else:
                imports.append("from .fns import " + ", ".join(f.name for f in spec.functions))
        imports.extend(extra)
        body = [_render_use_case(spec, uc, entity_expr, function_expr) for uc in use_cases]
        rebinding = _rebinding(spec) if fns_alias is None and spec.functions else ""
        return future + "\n".join(imports) + "\n\n\n" + "\n\n".join(body) + rebinding

    files = {"models.py": future + model_imports + "\n\n" + "\n\n".join(models)}
    files["fns.py"] = (
        future + harness + "\n\n" + "\n\n".join(functions) if functions else future + "\n"
    )
    models_alias = spec.models_alias if spec.models_style == "module" else None
    fns_alias = spec.fns_alias if spec.fns_style == "module" else None
    rest = spec.use_cases
    extra: list[str] = []
    if spec.layout == "split_bases" and len(spec.use_cases) > 1:
        first, rest = spec.use_cases[:1], spec.use_cases[1:]
        files["base.py"] = module(first, "bm", None, [])
        extra = [f"from .base import {first[0].name}"]
    files["ucs.py"] = module(rest, models_alias, fns_alias, extra)
    return files


def _render_use_case(
    spec: ModuleSpec, uc: UseCaseSpec, entity_expr: Any, function_expr: Any
) -> str:
    if uc.parents:
        bases = ", ".join(uc.parents)
    elif spec.outside == "base":
        bases = "LibUseCase" if uc.kind == "UseCase" else "LibJob"
    elif uc.kind == "UseCase":
        bases = f"{_loom(spec, 'UseCase')}[Any, Any]"
    else:
        bases = f"{_loom(spec, 'Job')}[Any]"
    lines = [f"class {uc.name}({bases}):"]
    hoisted: list[str] = []

    by_name = {f.name: f for f in spec.functions}

    def sequence(attribute: str, names: tuple[str, ...]) -> None:
        if uc.lambdas:
            items = [_lambda(by_name[n]) for n in names]
        else:
            items = [function_expr(n) for n in names]
        if uc.sequence_style == "tuple":
            text = "(" + ", ".join(items) + ("," if len(items) == 1 else "") + ")"
        else:
            text = "[" + ", ".join(items) + "]"
        annotation = ": Any" if uc.sequence_style == "annotated" else ""
        lines.append(f"    {attribute}{annotation} = {text}")

    if uc.computes is not None:
        sequence("computes", uc.computes)
    if uc.rules is not None:
        sequence("rules", uc.rules)
    if uc.read_only is not None:
        annotation = ": bool" if uc.sequence_style == "annotated" else ""
        lines.append(f"    read_only{annotation} = {uc.read_only}")
    ex = uc.execute
    if ex is not None:
        params = ["self"]
        if ex.star_args:
            params.append("*args")
        elif ex.keyword_only:
            params.append("*")
        for p in ex.params:
            text = p.name
            annotation = p.annotation
            if spec.outside == "alias" and p.marker is None and annotation in OUTSIDE_ALIASES:
                annotation = OUTSIDE_ALIASES[annotation]
                if annotation == "LibInt" and len(p.name) % 2:
                    annotation = "LibKey"
            if annotation is not None:
                annotation = re.sub(r"@(\w+)", lambda m: entity_expr(m.group(1)), annotation)
                text += f": {annotation}"
            if p.marker is not None:
                default = render_marker(
                    spec, p.marker, entity_expr, hoisted, f"_{nfkc(uc.name)}_k"
                )
            else:
                default = p.default
            if default is not None:
                text += f" = {default}"
            params.append(text)
        if ex.star_kwargs:
            params.append("**kwargs")
        head = "async def" if ex.is_async else "def"
        lines.append("")
        lines.append(f"    {head} execute(")
        lines.extend(f"        {p}," for p in params)
        lines.append("    ) -> Any:")
        lines.append(f"        return finish({nfkc(uc.name)!r}, locals(), {ex.fail!r})")
    elif len(lines) == 1:
        lines.append("    pass")
    if uc.nested is not None:
        lines = [f"class {uc.nested}:", *("    " + line if line else line for line in lines)]
    head = "\n".join(hoisted) + "\n\n\n" if hoisted else ""
    return head + "\n".join(lines) + "\n"


# -- strategies ------------------------------------------------------------------------


class Names:
    """Draws names unique after NFKC normalisation (what Python compares)."""

    def __init__(self, taken: set[str] | None = None) -> None:
        self.taken = {nfkc(n) for n in (taken or set())}

    def draw(self, draw: Any, pool: tuple[str, ...]) -> str | None:
        free = [n for n in pool if nfkc(n) not in self.taken]
        if not free:
            return None
        name = draw(st.sampled_from(free))
        self.taken.add(nfkc(name))
        return name


def _allowed(pool: tuple[str, ...]) -> tuple[str, ...]:
    """``pool`` minus the names that trigger known bugs."""
    banned: set[str] = set()
    if "builtin_shadowing" in KNOWN_BUGS:
        banned |= set(BUILTIN_NAMES)
    if "nfkc_identifiers" in KNOWN_BUGS:
        banned |= {n for n in pool if nfkc(n) != n}
    if "executor_name_clash" in KNOWN_BUGS:
        banned |= {n for n in pool if n.startswith("run_")}
    return tuple(n for n in pool if n not in banned)


@st.composite
def command_specs(draw: Any, name: str) -> CommandSpec:
    names = Names()
    aliases = Names(set(FIELD_NAMES))
    fields = []
    for _ in range(draw(st.integers(0, 4))):
        field_name = names.draw(draw, FIELD_NAMES)
        assert field_name is not None
        annotation = draw(st.sampled_from(FIELD_TYPES))
        alias = aliases.draw(draw, ALIASES) if draw(st.booleans()) else None
        default = draw(st.sampled_from(FIELD_DEFAULTS[annotation])) if draw(st.booleans()) else None
        fields.append(FieldSpec(field_name, annotation, alias, default))
    return CommandSpec(name, tuple(fields), draw(st.booleans()))


@st.composite
def marker_for(
    draw: Any,
    kind: str,
    entities: tuple[str, ...],
    plain: list[ParamSpec],
    command: CommandSpec | None,
) -> MarkerSpec | None:
    entity = draw(st.sampled_from(entities))
    arguments: list[tuple[str, str]] = []
    plain_names = [p.name for p in plain]
    if kind == "LoadById":
        if not plain_names:
            return None
        by = draw(st.sampled_from(plain_names))
        if nfkc(by) != "id" or draw(st.booleans()):
            arguments.append(("by", repr(nfkc(by))))
    else:
        sources = []
        if plain_names:
            sources.append("param")
        if command is not None and command.fields:
            sources.append("command")
        if not sources:
            return None
        source = draw(st.sampled_from(sources))
        if source == "param":
            arguments.append(("from_param", repr(nfkc(draw(st.sampled_from(plain_names))))))
            if draw(st.integers(0, 5)) == 0:
                arguments.append(("from_command", "None"))
        else:
            arguments.append(
                ("from_command", repr(draw(st.sampled_from([f.name for f in command.fields]))))
            )
            if draw(st.integers(0, 5)) == 0:
                arguments.append(("from_param", "None"))
        arguments.append(("against", repr(draw(st.sampled_from(AGAINST)))))
    if kind != "Exists" and draw(st.booleans()):
        arguments.append(("profile", repr(draw(st.sampled_from(PROFILES)))))
    if draw(st.booleans()):
        member = draw(st.sampled_from(("RAISE", "RETURN_NONE", "RETURN_FALSE")))
        arguments.append(("on_missing", f"{member}:{draw(st.integers(0, 1))}"))
    arguments = draw(st.permutations(arguments))
    return MarkerSpec(
        kind, entity, draw(st.integers(0, 4)) == 0, tuple(arguments), draw(st.integers(0, 2)) == 0
    )


@st.composite
def execute_specs(
    draw: Any, entities: tuple[str, ...], commands: tuple[CommandSpec, ...], taken: set[str]
) -> ExecuteSpec:
    names = Names(set())
    plain: list[ParamSpec] = []
    for _ in range(draw(st.integers(0, 4))):
        name = names.draw(draw, _allowed(PLAIN_NAMES))
        if name is None:
            break
        types = PARAM_TYPES
        if "none_annotation" in KNOWN_BUGS:
            types = tuple(t for t in types if t != "None")
        annotation = draw(st.sampled_from(types + tuple(f"@{e}" for e in entities)))
        default = None
        if draw(st.integers(0, 6)) == 0:
            default = draw(st.sampled_from(("0", "'d'", "None")))
        plain.append(ParamSpec(name, annotation, default))
    command = None
    markers: list[ParamSpec] = []
    if commands and draw(st.integers(0, 3)):
        command = draw(st.sampled_from(commands))
        name = names.draw(draw, _allowed(PLAIN_NAMES))
        if name is not None:
            annotation = command.name if draw(st.integers(0, 3)) else repr(command.name)
            markers.append(ParamSpec(name, annotation, marker=MarkerSpec("Input", None, False, ())))
        else:
            command = None
    for kind in draw(st.lists(st.sampled_from(("LoadById", "Load", "Exists")), max_size=4)):
        marker = draw(marker_for(kind, entities, plain, command))
        if marker is None:
            continue
        name = names.draw(draw, _allowed(PLAIN_NAMES))
        if name is None:
            break
        if kind == "Exists":
            annotation = draw(st.sampled_from((None, "bool", "Any")))
        else:
            annotation = draw(
                st.sampled_from((None, f"@{marker.entity}", f"Optional[@{marker.entity}]", "Any"))
            )
            if annotation is not None and annotation != "Any" and draw(st.booleans()):
                annotation = repr(annotation)
        markers.append(ParamSpec(name, annotation, marker=marker))
    keyword_only = bool(plain or markers) and draw(st.booleans())
    if keyword_only:
        params = draw(st.permutations(plain + markers))
    else:
        required = [p for p in plain if p.default is None]
        rest = draw(st.permutations([p for p in plain if p.default is not None] + markers))
        params = required + list(rest)
    return ExecuteSpec(
        tuple(params),
        keyword_only,
        draw(st.booleans()),
        draw(st.sampled_from(("never", "never", "pick", "always"))),
        command,
        keyword_only and draw(st.integers(0, 5)) == 0,
        draw(st.integers(0, 7)) == 0,
    )


@st.composite
def module_specs(draw: Any) -> ModuleSpec:
    layout = draw(st.sampled_from(("single", "split", "split_bases")))
    module_names = Names(set(RESERVED))
    aliases = Names(set())
    models_alias = aliases.draw(draw, MODULE_ALIASES)
    fns_alias = aliases.draw(draw, MODULE_ALIASES)
    assert models_alias is not None and fns_alias is not None
    module_names.taken |= {models_alias, fns_alias}
    entities = []
    for _ in range(draw(st.integers(1, 3))):
        name = module_names.draw(draw, _allowed(ENTITY_NAMES))
        if name is not None:
            entities.append(name)
    commands = []
    for _ in range(draw(st.sampled_from((0, 1, 1, 2)))):
        name = module_names.draw(draw, _allowed(COMMAND_NAMES))
        if name is not None:
            commands.append(draw(command_specs(name)))
    functions = []
    for _ in range(draw(st.integers(0, 5))):
        name = module_names.draw(draw, _allowed(FUNCTION_NAMES))
        if name is None:
            break
        kind = draw(st.sampled_from(("compute", "rule")))
        mode = draw(st.sampled_from(COMPUTE_MODES if kind == "compute" else RULE_MODES))
        functions.append(FunctionSpec(name, kind, draw(st.integers(0, len(SIGNATURES) - 1)), mode))
    computes = tuple(f.name for f in functions if f.kind == "compute")
    rules = tuple(f.name for f in functions if f.kind == "rule")
    use_cases: list[UseCaseSpec] = []
    for index in range(draw(st.integers(1, 4))):
        name = module_names.draw(draw, _allowed(USE_CASE_NAMES))
        if name is None:
            break
        kind = draw(st.sampled_from(("UseCase", "Job")))
        parents: tuple[str, ...] = ()
        if use_cases and draw(st.integers(0, 2)) == 0:
            most = 1 if "mro" in KNOWN_BUGS else 2
            parents = tuple(
                draw(
                    st.lists(
                        st.sampled_from([u.name for u in use_cases]),
                        min_size=1,
                        max_size=most,
                        unique=True,
                    )
                )
            )
        execute = None
        if not parents or draw(st.integers(0, 2)) == 0:
            execute = draw(execute_specs(tuple(entities), tuple(commands), set()))

        def functions_list(pool: tuple[str, ...]) -> tuple[str, ...] | None:
            if not pool or draw(st.integers(0, 4)) == 0:
                return None
            return tuple(
                draw(
                    st.lists(
                        st.sampled_from(pool), min_size=int(draw(st.integers(0, 3)) > 0), max_size=3
                    )
                )
            )

        uc = UseCaseSpec(
            name,
            kind,
            parents,
            execute,
            functions_list(computes),
            functions_list(rules),
            draw(st.sampled_from((None, None, "True", "False"))),
            draw(st.sampled_from(("list", "tuple", "annotated"))),
            draw(st.integers(0, 3)) == 0,
        )
        candidate = [*use_cases, uc]
        try:
            ModuleSpec(layout, False, "names", "from", "from", (), (), (), tuple(candidate)).mro(
                name
            )
        except TypeError:  # no consistent MRO: keep the first parent only
            uc = UseCaseSpec(
                uc.name,
                uc.kind,
                uc.parents[:1],
                uc.execute,
                uc.computes,
                uc.rules,
                uc.read_only,
                uc.sequence_style,
                uc.lambdas,
            )
        use_cases.append(uc)
    # Some use cases live inside another class (never one others derive from,
    # nor the one split_bases moves to base.py).
    parents_of_others = {p for uc in use_cases for p in uc.parents}
    for index, uc in enumerate(use_cases):
        movable = not (layout == "split_bases" and index == 0 and len(use_cases) > 1)
        if uc.name in parents_of_others or not movable or draw(st.integers(0, 3)):
            continue
        holder = module_names.draw(draw, tuple(f"Box{n}" for n in range(8)))
        if holder is not None:
            use_cases[index] = dataclasses.replace(uc, nested=holder)
    # Forms a build may leave to the interpreter, in some examples.
    outside = draw(st.sampled_from((None,) * 10 + ("base", "alias")))
    marker_constants = draw(st.integers(0, 9)) == 0
    rebind = None
    if functions and draw(st.integers(0, 7)) == 0:
        rebind = (
            draw(st.sampled_from([f.name for f in functions])),
            draw(st.sampled_from(("same", "wrapper", "del"))),
        )
    return ModuleSpec(
        layout,
        draw(st.booleans()),
        draw(st.sampled_from(("names", "markers_module", "module_alias", "aliases"))),
        draw(st.sampled_from(("from", "module"))),
        draw(st.sampled_from(("from", "module"))),
        tuple(entities),
        tuple(commands),
        tuple(functions),
        tuple(use_cases),
        models_alias,
        fns_alias,
        outside,
        marker_constants,
        rebind,
    )


def _value(draw: Any, annotation: str | None, happy: bool) -> Any:
    good = GOOD_VALUES.get(annotation, (1, "a"))
    if happy or draw(st.integers(0, 2)):
        return draw(st.sampled_from(good))
    return draw(st.sampled_from(ANY_VALUES))


@st.composite
def payloads(draw: Any, command: CommandSpec | None, happy: bool) -> tuple[Any, str]:
    if command is None:
        if happy:
            return None, "value"
        return draw(st.sampled_from((None, None, {}, {"extra": 1}))), "value"
    shape = 3 if happy else draw(st.integers(0, 9))
    if shape == 0:
        return None, "value"
    if shape == 1:
        return draw(st.sampled_from(([("name", 1)], "name=1", 5, b"{}"))), "value"
    payload: dict[str, Any] = {}
    for f in command.fields:
        how = draw(st.integers(0, 5))
        if how == 0 and f.default is not None:
            continue
        if not happy and how == 1 and draw(st.integers(0, 3)) == 0:
            continue  # a required field may go missing
        key = f.alias if f.alias is not None and draw(st.booleans()) else f.name
        if happy or draw(st.integers(0, 3)):
            value = draw(st.sampled_from(GOOD_VALUES.get(f.annotation, (1,))))
        else:
            value = draw(st.sampled_from(PAYLOAD_VALUES))
        payload[key] = value
    if not happy and draw(st.integers(0, 5)) == 0:
        payload["unexpected"] = 1
    return payload, ("proxy" if shape == 2 else "value")


@st.composite
def requests_for(draw: Any, spec: ModuleSpec, uc: UseCaseSpec) -> list[Request]:
    """Requests for ``uc``: half "happy" (every parameter, a fitting payload,
    every repository present and mostly finding things) so that computes,
    rules and ``execute`` run; half hostile (missing and unconvertible
    parameters, bad payloads, missing repositories, failing commits...)."""
    execute: ExecuteSpec | None = spec.effective(uc.name, "execute")
    if execute is None:  # loom's abstract execute comes first: both modes refuse the class
        return [Request(uc.path, {})]
    out = []
    for _ in range(draw(st.integers(1, 4))):
        happy = draw(st.booleans())
        params: dict[str, Any] = {}
        for p in execute.plain:
            if not happy and draw(st.integers(0, 5)) == 0:
                continue  # missing parameter
            params[nfkc(p.name)] = _value(draw, p.annotation, happy)
        if draw(st.integers(0, 9)) == 0:
            params["not_a_parameter"] = 1
        params_as = "dict"
        if not happy:
            params_as = draw(st.sampled_from(("dict",) * 6 + ("proxy", "none", "list")))
        payload, payload_as = draw(payloads(execute.command, happy))
        repos = []
        for entity in execute.entities:
            if happy:
                how = "dep"
                answers = tuple(
                    draw(st.lists(st.sampled_from((HIT, HIT, Raw(1), MISS)), max_size=4))
                )
            else:
                how = draw(st.sampled_from(("dep",) * 4 + ("resolver", "none_dep", "absent")))
                answers = tuple(draw(st.lists(st.sampled_from(ANSWERS), max_size=4)))
            repos.append(RepoSpec(nfkc(entity), how, answers, HIT if happy else MISS))
        overrides: tuple[tuple[str, Any], ...] = ()
        if execute.entities and draw(st.integers(0, 5)) == 0:
            entity = draw(st.sampled_from(execute.entities))
            overrides = ((nfkc(entity), draw(st.sampled_from(("override", None, 0)))),)
        out.append(
            Request(
                uc.path,
                params,
                params_as,
                payload,
                payload_as,
                tuple(repos),
                overrides,
                no_dependencies=not happy and draw(st.integers(0, 9)) == 0,
                read_only=draw(st.integers(0, 4)) == 0,
                fail_commit=draw(st.integers(0, 9)) == 0,
                fail_rollback=draw(st.integers(0, 9)) == 0,
            )
        )
    return out


class Example:
    """One drawn example; its repr shows the sources as text (for failure reports)."""

    def __init__(
        self,
        spec: ModuleSpec,
        sources: dict[str, str],
        requests: list[Request],
        debug: bool,
        use_cases: list[str],
    ) -> None:
        self.spec = spec
        self.sources = sources
        self.requests = requests
        self.debug = debug
        self.use_cases = use_cases
        self.outside = dict(OUTSIDE_FILES) if spec.outside else None
        """Files of the package outside the sources (see the harness's ``build``)."""
        self.allow_left = spec.twisted
        """Whether a use case may be left to the interpreter (with a reason)."""

    def __repr__(self) -> str:
        parts = [f"Example(debug={self.debug}, use_cases={self.use_cases!r})"]
        for relative, text in self.sources.items():
            parts.append(f"# --- {relative}\n{text}")
        for relative, text in (self.outside or {}).items():
            parts.append(f"# --- outside the sources: __LIB__/{relative}\n{text}")
        parts.append("# --- requests")
        parts.extend(repr(r) for r in self.requests)
        return "\n".join(parts)


@st.composite
def examples(draw: Any) -> Example:
    spec = draw(module_specs())
    requests: list[Request] = []
    for uc in spec.use_cases:
        requests.extend(draw(requests_for(spec, uc)))
    return Example(
        spec,
        render(spec),
        requests,
        False,  # debug_execution runs the interpreter in every mode: nothing to compare
        [uc.path for uc in spec.use_cases],
    )


__all__ = ["Example", "KNOWN_BUGS", "ModuleSpec", "examples", "render"]

# Every pooled name must be usable as an identifier.
assert all(
    n.isidentifier() and not keyword.iskeyword(n)
    for n in PLAIN_NAMES + FUNCTION_NAMES + ENTITY_NAMES + COMMAND_NAMES + USE_CASE_NAMES
)
