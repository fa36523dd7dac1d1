"""The words of every structural error, shared by the runtime compiler and loomgen.

A use case that the runtime's :class:`~loom.core.engine.compiler.UseCaseCompiler`
rejects is also an error in ``loomgen build``; both say so with these
functions, so a message searched for in logs reads the same wherever it
was raised. Every function takes names (strings), never live objects, so a
caller that only has source code can use them too.

Where loom-kernel 0.12.3 reported the same mistake, the message starts with
its wording (log searches and tests written against it still match) and
loom's extra detail follows.
"""

from __future__ import annotations

from collections.abc import Iterable


def parameter(use_case: str, name: str) -> str:
    """How a parameter of ``execute`` is named in messages."""
    return f"{use_case}.execute: parameter '{name}'"


def not_a_class(value: str) -> str:
    """``compile()`` was given something that is not a class (``value`` is its repr)."""
    return f"expected a use case class, got {value}"


def no_execute(use_case: str) -> str:
    return f"{use_case} has no execute() method"


def abstract_execute(use_case: str) -> str:
    return (
        f"{use_case} must override execute() before it can be compiled"
        " (execute is still abstract)"
    )


def unreadable_signature(use_case: str, reason: str) -> str:
    return f"{use_case}.execute: cannot read its signature ({reason})"


def positional_only(use_case: str, name: str) -> str:
    return f"{parameter(use_case, name)} is positional-only; the executor passes arguments by name"


def second_input(use_case: str, name: str, first: str) -> str:
    """``name`` is a second ``Input()`` parameter; ``first`` the one before it."""
    return (
        f"{use_case}.execute: only one Input() parameter is allowed"
        f" ('{first}' is one, '{name}' is another)"
    )


def input_without_from_payload(use_case: str, name: str, annotation: str) -> str:
    """The ``Input()`` parameter's type has no ``from_payload``; ``annotation`` names it."""
    return (
        f"{use_case}.execute: Input() parameter '{name}' type must implement"
        f" from_payload(payload) ({annotation} does not; derive the command from"
        " loom.core.command.Command)"
    )


def unresolved_input_annotation(use_case: str, name: str, annotation: str) -> str:
    """The ``Input()`` parameter's annotation is a string no namespace resolves."""
    return (
        f"{use_case}.execute: Input() parameter '{name}' type must implement"
        f" from_payload(payload); its annotation {annotation!r} could not be resolved (with"
        " postponed annotations, the command class must be importable from execute's module,"
        " not local to a function)"
    )


def _marker(marker: str, entity: str | None) -> str:
    return marker if entity is None else f"{marker}({entity})"


def entity_not_a_class(use_case: str, name: str, marker: str, value: str) -> str:
    """``value`` is the repr of what the marker got instead of an entity class."""
    return (
        f"{use_case}.execute: {marker}() needs the entity class, got {value}"
        f" (parameter '{name}')"
    )


def unknown_source_param(
    use_case: str,
    name: str,
    marker: str,
    source: str,
    plain: Iterable[str],
    entity: str | None = None,
) -> str:
    """A marker's ``by``/``from_param`` names no plain parameter.

    ``marker`` is ``LoadById``, ``Load`` or ``Exists``; ``name`` the
    parameter it is the default of; ``plain`` the plain parameters there are;
    ``entity`` the entity's name, when known.
    """
    argument = "by" if marker == "LoadById" else "from_param"
    listed = ", ".join(sorted(plain)) or "none"
    return (
        f"{use_case}.execute: {_marker(marker, entity)}: parameter '{source}' not found in"
        f" execute signature (parameter '{name}': {argument}={source!r} must name a plain"
        f" parameter of execute; plain parameters: {listed})"
    )


def command_source_without_input(
    use_case: str, name: str, marker: str, source: str, entity: str | None = None
) -> str:
    return (
        f"{use_case}.execute: {_marker(marker, entity)}: from_command requires Input()"
        f" parameter (parameter '{name}' reads from_command={source!r}, and execute has no"
        " Input())"
    )


def unknown_command_field(
    use_case: str, name: str, marker: str, source: str, command: str, entity: str | None = None
) -> str:
    return (
        f"{use_case}.execute: {_marker(marker, entity)}: from_command={source!r} names no field"
        f" of {command} (parameter '{name}')"
    )


def steps_not_a_sequence(use_case: str, attribute: str) -> str:
    """``attribute`` is ``computes`` or ``rules``."""
    return f"{use_case}.{attribute} must be a list or tuple of functions"


def step_not_callable(label: str, value: str) -> str:
    """``label`` is ``UseCase.computes[0]``; ``value`` the repr of what is there."""
    return f"{label} is not callable: {value}"


def bad_step_signature(label: str, what: str) -> str:
    """``label`` is ``computes[0]`` or ``UseCase.rules[1]``; ``what`` names the callable."""
    return f"{label} ({what}) must accept (command, fields_set) or (command, fields_set, context)"


def steps_without_input(use_case: str) -> str:
    """A warning, not an error: ``computes``/``rules`` on a use case without ``Input()``."""
    return (
        f"[BOOT] {use_case}: computes and rules run only with an Input() parameter;"
        " they are ignored"
    )


def one_source(marker: str) -> str:
    return f"{marker}() takes exactly one of from_param= or from_command="


def declaration_problem(label: str, what: str, problem: str) -> str:
    """A DSL compute or rule that does not fit its use case (``label``, ``what``: as above)."""
    return f"{label} ({what}): {problem}"


def unknown_context_param(name: str, parameters: Iterable[str]) -> str:
    """``from_params(name)`` where ``execute`` has no parameter ``name``."""
    listed = ", ".join(sorted(parameters)) or "none"
    return f"from_params({name!r}) names no parameter of execute (parameters: {listed})"


def foreign_path(path: str, root: str, command: str) -> str:
    """A field path starting from a class the use case's command is not a subclass of."""
    return f"{path} is a path on {root}, but the command is {command}"


__all__ = [
    "abstract_execute",
    "bad_step_signature",
    "command_source_without_input",
    "declaration_problem",
    "foreign_path",
    "input_without_from_payload",
    "no_execute",
    "not_a_class",
    "one_source",
    "parameter",
    "positional_only",
    "second_input",
    "step_not_callable",
    "steps_not_a_sequence",
    "steps_without_input",
    "unknown_command_field",
    "unknown_context_param",
    "unknown_source_param",
    "unreadable_signature",
    "unresolved_input_annotation",
]
