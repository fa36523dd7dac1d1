"""The one contract between the runtime and loomgen, as typed facts.

Generated code is written by loomgen from the *source* of a use case and run
by the runtime against the *live* class. Both sides must agree, byte for
byte, on what the code was specialized on. This module is where that
agreement is written down, once:

* **facts**: small typed records (:class:`ParamFact`, :class:`LoadFact`,
  :class:`ExistsFact`, ...) for each part of a use case's shape, and for a
  ``Compute``/``Rule`` declaration compiled inline (:class:`ComputeDeclaration`,
  :class:`RuleDeclaration`, :class:`RequirePresentDeclaration`). They carry the
  runtime's own enums (:class:`~loom.core.use_case.markers.OnMissing`,
  :class:`~loom.core.use_case.markers.SourceKind`, ...), never their strings;
* **builders** that turn a plan step (runtime) or an IR step (loomgen) into
  those facts: both sides call the same functions, and the protocols below
  name the attributes each must have;
* **one canonical encoder** (:func:`canonical`) for the shape whose digest is
  the fingerprint and for a declaration's structure;
* **the marker table** (:data:`MARKERS`): each marker factory's name, keyword
  arguments and defaults, read from the factories themselves, so loomgen
  reads a marker call as the runtime would build it.

A leaf: it imports the standard library and the runtime's enums and marker
factories only (never the plan, the executor or loomgen), so changing it is
changing the contract. loomgen's toolchain digest hashes this file: an edit
here invalidates every cached build and marks generated packages stale.
"""

from __future__ import annotations

import hashlib
import inspect
import json
from collections.abc import Callable, Iterable, Mapping
from types import MappingProxyType
from typing import Any, Literal, NamedTuple, Protocol, TypeAlias, TypeVar

from loom.core.use_case.field_ref import PredicateOp
from loom.core.use_case.markers import (
    Exists,
    Input,
    Load,
    LoadById,
    LookupKind,
    OnMissing,
    SourceKind,
)
from loom.core.use_case.rule import RuleKind

GENERATED_FORMAT = 7
"""Version of the contract between generated code and the runtime.

Bumped whenever executors written by an earlier loomgen would need to be
rewritten; the runtime refuses a generated package written for another
format, and ``loomgen build`` rewrites it.
"""

Shape = dict[str, Any]
"""A use case's shape as JSON-able data (see :func:`shape`)."""

# -- the canonical encoder ---------------------------------------------------------------

_ENCODER = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=True)
"""``json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=True)``,
without building an encoder per call (a startup verifying 1,000 executors
computes 1,000 fingerprints)."""


def canonical(data: object) -> str:
    """``data`` (JSON-able) as canonical JSON: the same ASCII text on every run and machine."""
    return _ENCODER.encode(data)


def digest(data: object, length: int = 32) -> str:
    """The first ``length`` hex digits of the SHA-256 of ``canonical(data)``."""
    return hashlib.sha256(canonical(data).encode("ascii")).hexdigest()[:length]


def source_digest(text: str) -> str:
    """The digest of a module's source text, line ends made ``\\n`` (what
    ``loomgen build`` read and what the runtime's loader returns compare equal)."""
    normalized = text.replace("\r\n", "\n").replace("\r", "\n")
    return hashlib.sha256(normalized.encode("utf-8", "surrogatepass")).hexdigest()


# -- the shape of a use case ---------------------------------------------------------------


class ParamFact(NamedTuple):
    """A plain parameter: whether its value is converted, whether it may be absent."""

    name: str
    converts: bool
    has_default: bool


class InputFact(NamedTuple):
    """The ``Input()`` parameter."""

    name: str


class LoadFact(NamedTuple):
    """A ``LoadById``/``Load`` parameter, in the plan's terms."""

    name: str
    source_kind: SourceKind
    source_name: str
    lookup_kind: LookupKind
    against: str
    profile: str
    on_missing: OnMissing


class ExistsFact(NamedTuple):
    """An ``Exists`` parameter."""

    name: str
    source_kind: SourceKind
    source_name: str
    against: str
    on_missing: OnMissing


class StepFact(NamedTuple):
    """A compute or a rule: whether it takes the context argument."""

    accepts_context: bool


class UseCaseFacts(NamedTuple):
    """Everything a generated executor hard-codes about one use case class."""

    use_case: str
    """``module:qualname``."""
    is_async: bool
    read_only: bool
    params: tuple[ParamFact, ...]
    input: InputFact | None
    loads: tuple[LoadFact, ...]
    exists: tuple[ExistsFact, ...]
    computes: tuple[StepFact, ...]
    rules: tuple[StepFact, ...]


class Named(Protocol):
    """An ``Input()`` binding: a plan's :class:`InputBinding` or loomgen's ``InputIR``."""

    @property
    def name(self) -> str: ...


class ExistsLike(Protocol):
    """What both a plan's ``ExistsStep`` and loomgen's ``ExistsIR`` hold (and loads too)."""

    @property
    def name(self) -> str: ...
    @property
    def source_kind(self) -> SourceKind: ...
    @property
    def source_name(self) -> str: ...
    @property
    def against(self) -> str: ...
    @property
    def on_missing(self) -> OnMissing: ...


class LoadLike(ExistsLike, Protocol):
    """What both a plan's ``LoadStep`` and loomgen's ``LoadIR`` hold."""

    @property
    def lookup_kind(self) -> LookupKind: ...
    @property
    def profile(self) -> str: ...


class StepLike(Protocol):
    """A compute or rule step, on either side."""

    @property
    def accepts_context(self) -> bool: ...


def load_fact(step: LoadLike) -> LoadFact:
    """The facts of a load step (a plan's or loomgen's)."""
    return LoadFact(
        step.name,
        step.source_kind,
        step.source_name,
        step.lookup_kind,
        step.against,
        step.profile,
        step.on_missing,
    )


def exists_fact(step: ExistsLike) -> ExistsFact:
    """The facts of an existence check (a plan's or loomgen's)."""
    return ExistsFact(step.name, step.source_kind, step.source_name, step.against, step.on_missing)


def use_case_facts(
    *,
    use_case: str,
    is_async: bool,
    read_only: bool,
    params: Iterable[ParamFact],
    input: Named | None,
    loads: Iterable[LoadLike],
    exists: Iterable[ExistsLike],
    computes: Iterable[StepLike],
    rules: Iterable[StepLike],
) -> UseCaseFacts:
    """The facts of one use case, from the steps of either side.

    The runtime calls it with a live plan's bindings and steps
    (:func:`loom.core.engine.fingerprint.plan_shape`), loomgen with its IR
    (``loomgen.ir.UseCaseIR.shape``). ``params`` are given as facts because the
    two sides decide ``converts`` differently (a live annotation, a resolved name).
    """
    return UseCaseFacts(
        use_case=use_case,
        is_async=is_async,
        read_only=read_only,
        params=tuple(params),
        input=None if input is None else InputFact(input.name),
        loads=tuple(load_fact(step) for step in loads),
        exists=tuple(exists_fact(step) for step in exists),
        computes=tuple(StepFact(step.accepts_context) for step in computes),
        rules=tuple(StepFact(step.accepts_context) for step in rules),
    )


def shape(facts: UseCaseFacts) -> Shape:
    """The canonical shape of a use case: JSON-able data whose digest is its fingerprint.

    The one encoding of :class:`UseCaseFacts`; its keys are the sections
    :mod:`loom.core.engine.shapes` names when a fingerprint differs.
    """
    return {
        "format": GENERATED_FORMAT,
        "use_case": facts.use_case,
        "is_async": facts.is_async,
        "read_only": facts.read_only,
        "params": [
            {"name": p.name, "converts": p.converts, "default": p.has_default} for p in facts.params
        ],
        "input": None if facts.input is None else {"name": facts.input.name},
        "loads": [
            {
                "name": s.name,
                "source_kind": s.source_kind.value,
                "source_name": s.source_name,
                "lookup_kind": s.lookup_kind.value,
                "against": s.against,
                "profile": s.profile,
                "on_missing": s.on_missing.value,
            }
            for s in facts.loads
        ],
        "exists": [
            {
                "name": s.name,
                "source_kind": s.source_kind.value,
                "source_name": s.source_name,
                "against": s.against,
                "on_missing": s.on_missing.value,
            }
            for s in facts.exists
        ],
        "computes": [{"context": s.accepts_context} for s in facts.computes],
        "rules": [{"context": s.accepts_context} for s in facts.rules],
    }


def fingerprint(data: Shape) -> str:
    """A short, stable hash of a shape (same bytes on every run and machine)."""
    return digest(data)


T = TypeVar("T")


def specialized(
    use_case: T,
    param_targets: Iterable[T],
    command: T | None,
    load_entities: Iterable[T],
    exists_entities: Iterable[T],
    computes: Iterable[T],
    rules: Iterable[T],
) -> tuple[T, ...]:
    """The objects a generated executor binds, in the order both sides list them:
    the use case class; the class of each converting parameter; the command type;
    each load's, then each exists check's entity; each compute; each rule."""
    ordered: list[T] = [use_case, *param_targets]
    if command is not None:
        ordered.append(command)
    ordered.extend(load_entities)
    ordered.extend(exists_entities)
    ordered.extend(computes)
    ordered.extend(rules)
    return tuple(ordered)


# -- declarations compiled inline ------------------------------------------------------------


class FieldPath(NamedTuple):
    """``F(Cmd).a.b``: the names followed and, per name, whether it is a patch field."""

    path: tuple[str, ...]
    patch: tuple[bool, ...]


class PresenceOp(NamedTuple):
    """``left & right`` or ``left | right`` in a ``when_present``."""

    op: PredicateOp
    left: Presence
    right: Presence


Presence: TypeAlias = "FieldPath | PresenceOp"
"""A ``when_present`` condition: one field, or an operator over two conditions."""


class ComputeDeclaration(NamedTuple):
    """``Compute.set(target).from_command(*sources, via=...)...``."""

    target: FieldPath
    sources: tuple[FieldPath, ...]
    include_command: bool
    via: bool
    params: tuple[str, ...]
    predicate: Presence | None

    @property
    def kind(self) -> Literal["compute"]:
        return "compute"


class RuleDeclaration(NamedTuple):
    """``Rule.check(...)`` or ``Rule.forbid(...)``, with what a violation carries
    (``field``: ``None`` for the command class's name)."""

    kind: RuleKind  # CHECK or FORBID
    sources: tuple[FieldPath, ...]
    whole_command: bool
    params: tuple[str, ...]
    predicate: Presence | None
    field: str | None
    message: str


class RequirePresentDeclaration(NamedTuple):
    """``Rule.require_present(target, field=..., message=...)``."""

    target: FieldPath
    field: str
    message: str
    predicate: Presence | None

    @property
    def kind(self) -> Literal[RuleKind.REQUIRE_PRESENT]:
        return RuleKind.REQUIRE_PRESENT


Declaration: TypeAlias = "ComputeDeclaration | RuleDeclaration | RequirePresentDeclaration"


def _path(ref: FieldPath) -> dict[str, Any]:
    return {"path": list(ref.path), "patch": list(ref.patch)}


def _presence(predicate: Presence | None) -> dict[str, Any] | None:
    if predicate is None:
        return None
    if isinstance(predicate, FieldPath):
        return {"ref": _path(predicate)}
    return {
        "op": predicate.op.value,
        "left": _presence(predicate.left),
        "right": _presence(predicate.right),
    }


def declaration_structure(declaration: Declaration) -> dict[str, Any]:
    """A declaration as JSON-able data: the one encoding both sides compare."""
    if isinstance(declaration, ComputeDeclaration):
        return {
            "kind": declaration.kind,
            "target": _path(declaration.target),
            "sources": [_path(s) for s in declaration.sources],
            "include_command": declaration.include_command,
            "via": declaration.via,
            "params": list(declaration.params),
            "predicate": _presence(declaration.predicate),
        }
    if isinstance(declaration, RuleDeclaration):
        return {
            "kind": declaration.kind.value,
            "sources": [_path(s) for s in declaration.sources],
            "whole_command": declaration.whole_command,
            "params": list(declaration.params),
            "predicate": _presence(declaration.predicate),
            "field": declaration.field,
            "message": declaration.message,
        }
    return {
        "kind": declaration.kind.value,
        "target": _path(declaration.target),
        "field": declaration.field,
        "message": declaration.message,
        "predicate": _presence(declaration.predicate),
    }


def describe(declaration: Declaration) -> str:
    """:func:`declaration_structure` as canonical JSON (what ``SPECIALIZED_ON`` records)."""
    return canonical(declaration_structure(declaration))


# -- the markers --------------------------------------------------------------------------


class MarkerSignature(NamedTuple):
    """A marker factory as loomgen reads a call of it."""

    name: str
    """The factory's name (``LoadById``)."""
    factory: Callable[..., Any]
    """The factory itself: loomgen calls it with the arguments it read, so a marker
    means in the IR exactly what it means in a plan."""
    arguments: tuple[str, ...]
    """Every argument it accepts, in order (the entity type first, when it takes one)."""
    required: tuple[str, ...]
    """The keyword arguments without a default (``against``), besides the entity type."""
    defaults: Mapping[str, object]
    """The default of each optional argument (``on_missing``: an :class:`OnMissing`)."""


def _signature(factory: Callable[..., Any]) -> MarkerSignature:
    parameters = inspect.signature(factory).parameters
    return MarkerSignature(
        factory.__name__,
        factory,
        tuple(parameters),
        tuple(
            name
            for name, parameter in parameters.items()
            if parameter.kind is inspect.Parameter.KEYWORD_ONLY
            and parameter.default is inspect.Parameter.empty
        ),
        MappingProxyType(
            {
                name: parameter.default
                for name, parameter in parameters.items()
                if parameter.default is not inspect.Parameter.empty
            }
        ),
    )


MARKERS: Mapping[str, MarkerSignature] = MappingProxyType(
    {factory.__name__: _signature(factory) for factory in (Input, LoadById, Load, Exists)}
)
"""Each marker factory by name, read from the factory itself (its signature is
what a user's call is checked against at runtime)."""

EXISTS_MARKER = Exists.__name__


def marker_label(lookup_kind: LookupKind | None) -> str:
    """The marker that declares a step, as messages name it: a load's by its
    lookup (``LoadById``, ``Load``), an existence check's (``lookup_kind=None``)."""
    if lookup_kind is None:
        return EXISTS_MARKER
    return LoadById.__name__ if lookup_kind is LookupKind.BY_ID else Load.__name__


__all__ = [
    "EXISTS_MARKER",
    "GENERATED_FORMAT",
    "MARKERS",
    "ComputeDeclaration",
    "Declaration",
    "ExistsFact",
    "ExistsLike",
    "FieldPath",
    "InputFact",
    "LoadFact",
    "LoadLike",
    "MarkerSignature",
    "Named",
    "ParamFact",
    "Presence",
    "PresenceOp",
    "RequirePresentDeclaration",
    "RuleDeclaration",
    "Shape",
    "StepFact",
    "StepLike",
    "UseCaseFacts",
    "canonical",
    "declaration_structure",
    "describe",
    "digest",
    "exists_fact",
    "fingerprint",
    "load_fact",
    "marker_label",
    "shape",
    "source_digest",
    "specialized",
    "use_case_facts",
]
