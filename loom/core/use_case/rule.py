"""The shape of a rule function, the errors rules raise, and the ``Rule`` DSL."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from enum import StrEnum
from typing import Any, ClassVar, TypeAlias

from loom.core.errors import RuleViolation, RuleViolations
from loom.core.use_case.field_ref import (
    FieldRef,
    Predicate,
    callable_label,
    check_param_names,
    check_predicate,
    check_refs,
    compile_problem,
    context_values,
    is_present,
    predicate_holds,
    predicate_refs,
    resolve,
)

RuleFn: TypeAlias = Callable[..., Any]
"""``(command, fields_set) -> None`` or ``(command, fields_set, context) -> None``.

A rule raises :class:`RuleViolation` to reject the command. Every rule runs;
the executor raises one :class:`RuleViolations` holding all the violations.
"""

DEFAULT_MESSAGE = "Rule check failed"
"""The message of a violation signalled by ``True`` from a rule without ``message=``."""


def default_violation_field(
    field: str | None,
    source_leaves: Sequence[str],
    param_names: Sequence[str],
    predicate_leaf: str | None,
) -> str | None:
    """The field a ``str``/``True`` result of a ``check``/``forbid`` is a violation of.

    The first of: the declared ``field``, the first source's last name, the
    first parameter name, the last name of a predicate that is a single field
    reference (``predicate_leaf``); ``None`` means the command class name.
    The runtime (:attr:`RuleSpec.violation_field`) and loomgen's reading of a
    declaration both decide with this function.
    """
    if field is not None:
        return field
    if source_leaves:
        return source_leaves[0]
    if param_names:
        return param_names[0]
    return predicate_leaf


def rule_outcome(result: Any, field: str, message: str) -> None:
    """What an evaluator's ``result`` means: a returned :class:`RuleViolation`
    is raised as it is; a ``str`` is a violation of ``field`` with that text;
    exactly ``True`` a violation of ``field`` with ``message``; anything else
    passes. Shared by the specs and by the code loomgen compiles them into."""
    if isinstance(result, RuleViolation):
        raise result
    if isinstance(result, str):
        raise RuleViolation(field, result)
    if result is True:
        raise RuleViolation(field, message)


class RuleKind(StrEnum):
    """Which ``Rule`` constructor declared a spec."""

    CHECK = "check"
    FORBID = "forbid"
    REQUIRE_PRESENT = "require_present"


@dataclass(frozen=True, slots=True, repr=False)
class RuleSpec:
    """A rule declared with ``Rule.check`` or ``Rule.forbid``.

    Call it as ``spec(command, fields_set, context)``. Read-only data:

    - ``kind``: :attr:`RuleKind.CHECK` or :attr:`RuleKind.FORBID`;
    - ``evaluator``: the ``via=`` (check) or ``condition`` (forbid) function;
    - ``whole_command``: the evaluator receives ``(command, fields_set)``
      instead of ``sources`` (``forbid`` and ``from_command()`` with no field);
    - ``sources``: the command paths passed to the evaluator, in order;
    - ``param_names``: context entries passed after them;
    - ``predicate``: the ``when_present`` condition, or ``None``;
    - ``field`` / ``message``: as declared (``field`` is the first target of
      ``check``); ``violation_field`` / ``violation_message`` are what a
      violation carries.

    Outcome of ``result = evaluator(*args)``: a :class:`RuleViolation` is
    raised as is; a ``str`` raises ``RuleViolation(violation_field, result)``;
    exactly ``True`` raises ``RuleViolation(violation_field,
    violation_message)``; anything else passes.
    """

    kind: RuleKind
    evaluator: Callable[..., Any]
    whole_command: bool = False
    sources: tuple[FieldRef, ...] = ()
    param_names: tuple[str, ...] = ()
    predicate: Predicate | None = None
    field: str | None = None
    message: str | None = None

    def from_command(self, *sources: FieldRef) -> RuleSpec:
        """Pass these command fields to the evaluator; with none, ``(command, fields_set)``."""
        refs = check_refs(f"{self.__name__}.from_command()", sources)
        return replace(self, sources=refs, whole_command=not refs)

    def from_params(self, *names: str) -> RuleSpec:
        """Also pass these context entries (``execute`` parameters) to the evaluator."""
        checked = check_param_names("Rule", names)
        return replace(self, param_names=(*self.param_names, *checked))

    def when_present(self, predicate: Predicate) -> RuleSpec:
        """Check only when ``predicate`` (a field reference, or ``&``/``|`` of them) holds."""
        return replace(self, predicate=check_predicate(self.__name__, predicate))

    @property
    def violation_field(self) -> str | None:
        """The field of a ``str``/``True`` violation; ``None`` means the command class name.

        The first of: ``field``, the first source's last name, the first
        parameter, the predicate's last name when it is a single reference.
        """
        predicate = self.predicate
        return default_violation_field(
            self.field,
            (self.sources[0].leaf,) if self.sources else (),
            self.param_names,
            predicate.leaf if isinstance(predicate, FieldRef) else None,
        )

    @property
    def violation_message(self) -> str:
        """The message of a violation signalled by ``True``."""
        return self.message or DEFAULT_MESSAGE

    @property
    def __name__(self) -> str:
        if self.kind is RuleKind.CHECK and self.sources:
            return f"Rule.check({', '.join(map(repr, self.sources))})"
        return f"Rule.{self.kind.value}({callable_label(self.evaluator)})"

    def __repr__(self) -> str:
        return f"<{self.__name__}>"

    def refs(self) -> tuple[FieldRef, ...]:
        """Every field reference of the declaration: sources, predicate."""
        return (*self.sources, *predicate_refs(self.predicate))

    def __loom_check__(self, parameters: frozenset[str], command_type: Any) -> str | None:
        """Called by the compiler: what is wrong with this rule in a use case."""
        return compile_problem(self.param_names, self.refs(), parameters, command_type)

    def __call__(
        self,
        command: Any,
        fields_set: frozenset[str],
        context: Mapping[str, Any] | None = None,
    ) -> None:
        predicate = self.predicate
        if predicate is not None and not predicate_holds(predicate, command, fields_set):
            return
        if self.whole_command:
            args: list[Any] = [command, fields_set]
        else:
            args = [resolve(source, command) for source in self.sources]
        if self.param_names:
            args += context_values(self, context)
        rule_outcome(self.evaluator(*args), self._field_for(command), self.violation_message)

    def _field_for(self, command: Any) -> str:
        field = self.violation_field
        return type(command).__name__ if field is None else field


@dataclass(frozen=True, slots=True, repr=False)
class RequirePresentSpec:
    """A rule declared with ``Rule.require_present``.

    Read-only data: ``target`` (the path that must be present), ``field`` and
    ``message`` (what the violation carries), ``predicate`` (``when_present``,
    or ``None``); ``kind`` is :attr:`RuleKind.REQUIRE_PRESENT`. When the
    predicate holds (or there is none) and ``target`` is not present, it
    raises ``RuleViolation(field, message)``.
    """

    kind: ClassVar[RuleKind] = RuleKind.REQUIRE_PRESENT

    target: FieldRef
    field: str
    message: str
    predicate: Predicate | None = None

    def when_present(self, predicate: Predicate) -> RequirePresentSpec:
        """Require the target only when ``predicate`` holds."""
        return replace(self, predicate=check_predicate(self.__name__, predicate))

    @property
    def __name__(self) -> str:
        return f"Rule.require_present({self.target!r})"

    def __repr__(self) -> str:
        return f"<{self.__name__}>"

    def refs(self) -> tuple[FieldRef, ...]:
        """Every field reference of the declaration: target, predicate."""
        return (self.target, *predicate_refs(self.predicate))

    def __loom_check__(self, parameters: frozenset[str], command_type: Any) -> str | None:
        """Called by the compiler: what is wrong with this rule in a use case."""
        return compile_problem((), self.refs(), parameters, command_type)

    def __call__(
        self,
        command: Any,
        fields_set: frozenset[str],
        context: Mapping[str, Any] | None = None,
    ) -> None:
        predicate = self.predicate
        if predicate is not None and not predicate_holds(predicate, command, fields_set):
            return
        if not is_present(self.target, command, fields_set):
            raise RuleViolation(self.field, self.message)


class Rule:
    """The rule DSL: ``Rule.check``, ``Rule.forbid``, ``Rule.require_present``."""

    @staticmethod
    def check(*targets: FieldRef, via: Callable[..., Any], message: str | None = None) -> RuleSpec:
        """Call ``via`` with the targets' values; the violation names the first target."""
        refs = check_refs("Rule.check()", targets)
        if not refs:
            raise ValueError("Rule.check() needs at least one target field")
        if not callable(via):
            raise TypeError(f"Rule.check(): via= must be callable, got {via!r}")
        return RuleSpec(
            kind=RuleKind.CHECK, evaluator=via, sources=refs, field=refs[0].leaf, message=message
        )

    @staticmethod
    def forbid(condition: Callable[..., Any], *, message: str) -> RuleSpec:
        """Call ``condition(command, fields_set)``; ``True`` is a violation with ``message``."""
        if not callable(condition):
            raise TypeError(f"Rule.forbid(): the condition must be callable, got {condition!r}")
        if not isinstance(message, str):
            raise TypeError(f"Rule.forbid(): message= must be a string, got {message!r}")
        return RuleSpec(
            kind=RuleKind.FORBID, evaluator=condition, whole_command=True, message=message
        )

    @staticmethod
    def require_present(
        target: FieldRef, *, field: str | None = None, message: str | None = None
    ) -> RequirePresentSpec:
        """Violation ``(field or leaf, message or "<leaf> is required")`` when ``target`` is absent."""
        (ref,) = check_refs("Rule.require_present()", (target,))
        return RequirePresentSpec(
            target=ref,
            field=field or ref.leaf,
            message=message or f"{ref.leaf} is required",
        )


__all__ = [
    "DEFAULT_MESSAGE",
    "RequirePresentSpec",
    "Rule",
    "RuleFn",
    "RuleKind",
    "RuleSpec",
    "RuleViolation",
    "RuleViolations",
    "rule_outcome",
]
