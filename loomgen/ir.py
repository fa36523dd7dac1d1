"""The intermediate representation: what loomgen knows about each use case.

Plain frozen dataclasses, built by :mod:`loomgen.parse` from source text and
read by :mod:`loomgen.render`. No parent links, no behaviour beyond derived
views. Objects the generated code needs are :class:`Ref` values: an
expression plus the import that makes its root name available.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import total_ordering
from typing import Any

from loom.core.engine.fingerprint import Shape, build_shape, shape_fingerprint, specialized


@total_ordering
class Location:
    """Where something was declared (1-based line and column).

    Either given, or found on first use by ``find``: every step records where
    it was declared, but only diagnostics and ``loomgen explain`` read
    positions, and computing a module's positions costs more than parsing it,
    so a build without problems never computes them. Behaves as the value
    ``(path, line, column)``: compared, hashed and pickled as such.
    """

    __slots__ = ("path", "_line", "_column", "_find")

    def __init__(
        self,
        path: str,
        line: int = 1,
        column: int = 1,
        *,
        find: Callable[[], tuple[int, int]] | None = None,
    ) -> None:
        self.path = path
        self._line = line
        self._column = column
        self._find = find

    def _position(self) -> tuple[int, int]:
        if self._find is not None:
            self._line, self._column = self._find()
            self._find = None
        return self._line, self._column

    @property
    def line(self) -> int:
        return self._position()[0]

    @property
    def column(self) -> int:
        return self._position()[1]

    def _key(self) -> tuple[str, int, int]:
        return (self.path, *self._position())

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Location):
            return NotImplemented
        return self._key() == other._key()

    def __lt__(self, other: Location) -> bool:
        return self._key() < other._key()

    def __hash__(self) -> int:
        return hash(self._key())

    def __reduce__(self) -> tuple[type[Location], tuple[str, int, int]]:
        return (Location, self._key())

    def __repr__(self) -> str:
        return f"Location({self.path!r}, {self.line}, {self.column})"

    def __str__(self) -> str:
        return f"{self.path}:{self.line}:{self.column}"


@dataclass(frozen=True, slots=True, order=True)
class Import:
    """``from module import name`` (or ``import module`` when ``name`` is empty)."""

    module: str
    name: str = ""


@dataclass(frozen=True, slots=True)
class Ref:
    """An object referred to by the source, reachable from the generated module.

    ``root`` is the first name of ``expression``; ``origin`` says how to bind
    that name (``None`` for builtins). ``expression`` is the dotted path as
    written (``User``, ``models.User``, ``PlaceOrder.Entity``).
    """

    expression: str
    root: str
    origin: Import | None

    @property
    def attributes(self) -> tuple[str, ...]:
        """The attribute names after the root (``models.User`` -> ``("User",)``)."""
        return tuple(self.expression.split(".")[1:])


@dataclass(frozen=True, slots=True)
class ParamIR:
    """A plain parameter; ``target`` is set when values are converted to it."""

    name: str
    target: Ref | None
    declaration: str
    location: Location
    has_default: bool = False


@dataclass(frozen=True, slots=True)
class InputIR:
    name: str
    command: Ref
    declaration: str
    location: Location


@dataclass(frozen=True, slots=True)
class LoadIR:
    name: str
    entity: Ref
    source_kind: str
    source_name: str
    lookup_kind: str
    against: str
    profile: str
    on_missing: str
    declaration: str
    location: Location


@dataclass(frozen=True, slots=True)
class ExistsIR:
    name: str
    entity: Ref
    source_kind: str
    source_name: str
    against: str
    on_missing: str
    declaration: str
    location: Location


@dataclass(frozen=True, slots=True)
class PresenceIR:
    """``when_present`` logic: a field (``op == ""``) or ``&``/``|`` of two."""

    op: str  # "", "and" or "or"
    field: str = ""
    patch: bool = False
    left: PresenceIR | None = None
    right: PresenceIR | None = None


@dataclass(frozen=True, slots=True)
class DslIR:
    """A ``Compute``/``Rule`` declaration read from source, compiled inline.

    Only single-field paths are compiled inline; ``description`` is the
    structure the runtime checks the live spec against (canonical JSON, as
    :func:`loom.core.use_case.declaration.describe` writes it).
    """

    kind: str  # "compute", "check", "forbid" or "require_present"
    target: str  # the field a compute sets or require_present requires ("" otherwise)
    target_patch: bool
    sources: tuple[str, ...]
    whole: bool  # the evaluator gets the command (compute) or (command, fields_set) (rule)
    via: Ref | None
    params: tuple[str, ...]
    predicate: PresenceIR | None
    field: str | None  # a violation's field; None: the command class's name
    message: str
    description: str


@dataclass(frozen=True, slots=True)
class FunctionIR:
    """A compute or rule function and whether it takes the context argument;
    ``inline`` when it is a DSL declaration compiled into plain code."""

    function: Ref
    accepts_context: bool
    declaration: str
    location: Location
    inline: DslIR | None = None


@dataclass(frozen=True, slots=True)
class UseCaseIR:
    """Everything the generated executor of one use case class specializes on."""

    module: str
    qualname: str
    use_case: Ref
    kind: str
    is_async: bool
    read_only: bool
    params: tuple[ParamIR, ...]
    input: InputIR | None
    loads: tuple[LoadIR, ...]
    exists: tuple[ExistsIR, ...]
    computes: tuple[FunctionIR, ...]
    rules: tuple[FunctionIR, ...]
    location: Location
    execute_location: Location

    @property
    def key(self) -> str:
        """The registry key, ``module:qualname``."""
        return f"{self.module}:{self.qualname}"

    def shape(self) -> Shape:
        """The canonical shape, built by the runtime's own :func:`build_shape`."""
        return build_shape(
            use_case=self.key,
            is_async=self.is_async,
            read_only=self.read_only,
            params=[(p.name, p.target is not None, p.has_default) for p in self.params],
            input_name=None if self.input is None else self.input.name,
            loads=[
                (
                    s.name,
                    s.source_kind,
                    s.source_name,
                    s.lookup_kind,
                    s.against,
                    s.profile,
                    s.on_missing,
                )
                for s in self.loads
            ],
            exists=[
                (s.name, s.source_kind, s.source_name, s.against, s.on_missing) for s in self.exists
            ],
            computes=[step.accepts_context for step in self.computes],
            rules=[step.accepts_context for step in self.rules],
        )

    @property
    def fingerprint(self) -> str:
        return shape_fingerprint(self.shape())

    def specialized_on(self) -> tuple[Ref, ...]:
        """Refs in the order of :func:`loom.core.engine.fingerprint.specialized`."""
        return specialized(
            self.use_case,
            [p.target for p in self.params if p.target is not None],
            None if self.input is None else self.input.command,
            [step.entity for step in self.loads],
            [step.entity for step in self.exists],
            [step.function for step in self.computes],
            [step.function for step in self.rules],
        )


@dataclass(frozen=True, slots=True)
class InterpretedIR:
    """A use case loomgen leaves to the interpreter, and why."""

    qualname: str
    reason: str


@dataclass(frozen=True, slots=True)
class ModuleIR:
    """One source module and the use cases found in it, in source order."""

    module: str
    path: str
    use_cases: tuple[UseCaseIR, ...]
    interpreted: tuple[InterpretedIR, ...] = ()
    source_digest: str = ""
    """:func:`~loom.core.engine.fingerprint.source_digest` of the module's text, recorded
    with the use cases left to the interpreter (the runtime trusts such an entry
    only while the module still reads the same)."""
