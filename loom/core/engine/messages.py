"""The text of every structural validation message, in one place.

The runtime compiler raises these as :class:`~loom.core.engine.compiler.CompilationError`
and loomgen reports the same mistakes found statically, so both must word
them alike. Every function takes names (strings), never live objects, so a
caller that only has source code can use them too.

Where loom-kernel 0.12.3 reported the same mistake, the message starts with
its wording (log searches and tests written against it still match) and
loom's extra detail follows.
"""

from __future__ import annotations

from collections.abc import Iterable


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


def positional_only(use_case: str, parameter: str) -> str:
    return (
        f"{use_case}.execute: parameter '{parameter}' is positional-only;"
        " the executor passes arguments by name"
    )


def second_input(use_case: str, first: str, second: str) -> str:
    return (
        f"{use_case}.execute: only one Input() parameter is allowed"
        f" ('{first}' is one, '{second}' is another)"
    )


def input_without_from_payload(use_case: str, parameter: str, annotation: str) -> str:
    """The ``Input()`` parameter's type has no ``from_payload``; ``annotation`` names it."""
    return (
        f"{use_case}.execute: Input() parameter '{parameter}' type must implement"
        f" from_payload(payload) ({annotation} does not; derive the command from"
        " loom.core.command.Command)"
    )


def source_param_not_found(
    use_case: str,
    marker: str,
    entity: str,
    parameter: str,
    argument: str,
    source: str,
    plain: Iterable[str],
) -> str:
    """A marker's ``by``/``from_param`` (``argument``) names no plain parameter.

    ``marker`` is ``LoadById``, ``Load`` or ``Exists``; ``parameter`` the
    parameter it is the default of; ``plain`` the plain parameters there are.
    """
    names = ", ".join(sorted(plain)) or "none"
    return (
        f"{use_case}.execute: {marker}({entity}): parameter '{source}' not found in execute"
        f" signature (parameter '{parameter}': {argument}={source!r} must name a plain"
        f" parameter of execute; plain parameters: {names})"
    )


def from_command_without_input(
    use_case: str, marker: str, entity: str, parameter: str, field: str
) -> str:
    return (
        f"{use_case}.execute: {marker}({entity}): from_command requires Input() parameter"
        f" (parameter '{parameter}' reads from_command={field!r}, and execute has no Input())"
    )


def from_command_unknown_field(
    use_case: str, marker: str, entity: str, parameter: str, field: str, command: str
) -> str:
    return (
        f"{use_case}.execute: {marker}({entity}): from_command={field!r} names no field of"
        f" {command} (parameter '{parameter}')"
    )


def steps_not_a_sequence(use_case: str, attribute: str) -> str:
    """``attribute`` is ``computes`` or ``rules``."""
    return f"{use_case}.{attribute} must be a list or tuple of functions"


def step_not_callable(use_case: str, attribute: str, index: int, value: str) -> str:
    return f"{use_case}.{attribute}[{index}] is not callable: {value}"


def step_bad_signature(use_case: str, attribute: str, index: int, function: str) -> str:
    return (
        f"{use_case}.{attribute}[{index}] ({function}) must accept"
        " (command, fields_set) or (command, fields_set, context)"
    )


def steps_without_input(use_case: str) -> str:
    """A warning, not an error: ``computes``/``rules`` on a use case without ``Input()``."""
    return (
        f"[BOOT] {use_case}: computes and rules run only with an Input() parameter;"
        " they are ignored"
    )


__all__ = [
    "abstract_execute",
    "from_command_unknown_field",
    "from_command_without_input",
    "input_without_from_payload",
    "no_execute",
    "not_a_class",
    "positional_only",
    "second_input",
    "source_param_not_found",
    "step_bad_signature",
    "step_not_callable",
    "steps_not_a_sequence",
    "steps_without_input",
    "unreadable_signature",
]
