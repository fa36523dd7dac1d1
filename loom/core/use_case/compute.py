"""The shape of a compute function, and the declarative ``Compute`` DSL."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from typing import Any, TypeAlias, TypeVar

from loom.core.use_case.field_ref import (
    FieldRef,
    Predicate,
    check_param_names,
    check_predicate,
    check_refs,
    compile_problem,
    context_values,
    field_model,
    predicate_holds,
    predicate_refs,
    resolve,
)

CommandT = TypeVar("CommandT")

ComputeFn: TypeAlias = Callable[..., CommandT]
"""``(command, fields_set) -> command`` or ``(command, fields_set, context) -> command``.

A compute returns the (usually updated) command; ``fields_set`` is the set of
field names the payload carried and ``context`` a dict of everything bound so
far (params, command, loaded entities, exists flags).
"""


def set_path(command: Any, path: tuple[str, ...], value: Any) -> Any:
    """A copy of ``command`` with ``value`` at ``path``, through ``model_copy(update=...)``.

    For ``("a", "b")`` that is ``command.model_copy(update={"a":
    command.a.model_copy(update={"b": value})})``: each model on the way is
    copied, nothing is validated (as with any ``model_copy``).
    """
    if len(path) == 1:
        return command.model_copy(update={path[0]: value})
    holder = getattr(command, path[0])
    return command.model_copy(update={path[0]: set_path(holder, path[1:], value)})


def _check_target(target: FieldRef) -> None:
    if isinstance(target.root, str):
        return  # a label: nothing tells which model the path runs through
    model: type[Any] | None = target.root
    for index, name in enumerate(target.path):
        fields = getattr(model, "model_fields", None)
        if model is None or not isinstance(fields, dict) or name not in fields:
            where = ".".join((f"F({target.root.__qualname__})", *target.path[:index]))
            raise ValueError(
                f"Compute.set({target!r}): {where} is not a model with a field {name!r};"
                " a compute can only set model fields"
            )
        model = field_model(model, name)


@dataclass(frozen=True, slots=True, repr=False)
class ComputeSpec:
    """A declared compute; call it as ``spec(command, fields_set, context)``.

    Read-only data (for tools that compile it):

    - ``target``: the field set by the compute;
    - ``sources``: the command paths passed to ``via``, in order;
    - ``include_command``: ``via`` receives the whole command (``from_command()``
      with no fields) instead of ``sources``;
    - ``param_names``: context entries passed after the command arguments;
    - ``via``: the function computing the value, or ``None`` (then exactly one
      source or parameter is the value);
    - ``predicate``: the ``when_present`` condition, or ``None``.

    The call: when ``predicate`` is set and does not hold, the command is
    returned unchanged; otherwise ``value = via(*args)`` (or the single
    argument) and the result is ``set_path(command, target.path, value)``.
    """

    target: FieldRef
    sources: tuple[FieldRef, ...] = ()
    include_command: bool = False
    via: Callable[..., Any] | None = None
    param_names: tuple[str, ...] = ()
    predicate: Predicate | None = None

    def from_params(self, *names: str) -> ComputeSpec:
        """Also pass these context entries (``execute`` parameters) to ``via``."""
        checked = check_param_names("Compute", names)
        if self.via is None:
            raise ValueError(
                f"{self.__name__}: without via= a compute takes exactly one source;"
                " pass via= to combine command fields and parameters"
            )
        return replace(self, param_names=(*self.param_names, *checked))

    def when_present(self, predicate: Predicate) -> ComputeSpec:
        """Run only when ``predicate`` (a field reference, or ``&``/``|`` of them) holds."""
        return replace(self, predicate=check_predicate(self.__name__, predicate))

    @property
    def __name__(self) -> str:
        return f"Compute.set({self.target!r})"

    def __repr__(self) -> str:
        return f"<{self.__name__}>"

    def refs(self) -> tuple[FieldRef, ...]:
        """Every field reference of the declaration: target, sources, predicate."""
        return (self.target, *self.sources, *predicate_refs(self.predicate))

    def __loom_check__(self, parameters: frozenset[str], command_type: Any) -> str | None:
        """Called by the compiler: what is wrong with this compute in a use case."""
        return compile_problem(self.param_names, self.refs(), parameters, command_type)

    def __call__(
        self, command: Any, fields_set: frozenset[str], context: Mapping[str, Any] | None = None
    ) -> Any:
        predicate = self.predicate
        if predicate is not None and not predicate_holds(predicate, command, fields_set):
            return command
        if self.include_command:
            args: list[Any] = [command]
        else:
            args = [resolve(source, command) for source in self.sources]
        if self.param_names:
            args += context_values(self, context)
        via = self.via
        value = args[0] if via is None else via(*args)
        return set_path(command, self.target.path, value)


class ComputeTarget:
    """``Compute.set(target)``: say where the value comes from with ``from_command``."""

    __slots__ = ("_target",)

    def __init__(self, target: FieldRef) -> None:
        self._target = target

    def from_command(
        self, *sources: FieldRef, via: Callable[..., Any] | None = None
    ) -> ComputeSpec:
        """Compute from these command fields (or, with none, from the whole command).

        One field without ``via`` copies its value; several need ``via``; no
        field needs ``via``, which then receives the command.
        """
        what = f"Compute.set({self._target!r}).from_command()"
        refs = check_refs(what, sources)
        if via is not None and not callable(via):
            raise TypeError(f"{what}: via= must be callable, got {via!r}")
        if not refs and via is None:
            raise ValueError(f"{what}: give a source field, or via= to compute from the command")
        if len(refs) > 1 and via is None:
            raise ValueError(f"{what}: several source fields need via= to combine them")
        return ComputeSpec(target=self._target, sources=refs, include_command=not refs, via=via)


class Compute:
    """The compute DSL: ``Compute.set(F(Cmd).slug).from_command(F(Cmd).name, via=slugify)``."""

    @staticmethod
    def set(target: FieldRef) -> ComputeTarget:
        """Start a compute that sets ``target``."""
        (checked,) = check_refs("Compute.set()", (target,))
        _check_target(checked)
        return ComputeTarget(checked)


__all__ = ["Compute", "ComputeFn", "ComputeSpec", "ComputeTarget", "set_path"]
