"""The words of every structural error, shared by the runtime compiler and loomgen.

A use case that the runtime's :class:`~loom.core.engine.compiler.UseCaseCompiler`
rejects is also an error in ``loomgen build``; both say so with these
functions, so a message searched for in logs reads the same wherever it
was raised.
"""

from __future__ import annotations

from collections.abc import Iterable


def parameter(use_case: str, name: str) -> str:
    """How a parameter of ``execute`` is named in messages."""
    return f"{use_case}.execute: parameter '{name}'"


def positional_only(use_case: str, name: str) -> str:
    return f"{parameter(use_case, name)} is positional-only; the executor passes arguments by name"


def second_input(use_case: str, name: str, first: str) -> str:
    return f"{parameter(use_case, name)}: only one Input() is allowed, '{first}' already is one"


def unknown_source_param(
    use_case: str, name: str, marker: str, source: str, plain: Iterable[str]
) -> str:
    argument = "by" if marker == "LoadById" else "from_param"
    listed = ", ".join(sorted(plain)) or "none"
    return (
        f"{parameter(use_case, name)}: {marker}({argument}={source!r}) names no plain parameter"
        f" of execute (plain parameters: {listed})"
    )


def command_source_without_input(use_case: str, name: str, marker: str, source: str) -> str:
    return (
        f"{parameter(use_case, name)}: {marker}(from_command={source!r}) needs an Input()"
        " parameter"
    )


def bad_step_signature(label: str, what: str) -> str:
    """``label`` is ``computes[0]`` or ``UseCase.rules[1]``; ``what`` names the callable."""
    return f"{label} ({what}) must accept (command, fields_set) or (command, fields_set, context)"


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
