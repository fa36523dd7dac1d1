"""Field paths and presence predicates for the compute/rule DSL.

``F(Cmd).address.city`` is a :class:`FieldRef`: the command class it starts
from (``root``), the attribute names to follow (``path``) and, for each name,
whether that field is a *patch* field (``patch``). ``ref_a & ref_b`` and
``ref_a | ref_b`` build :class:`FieldExpr` trees used by ``when_present``.

Presence of a path, as :func:`is_present` evaluates it, walking the path from
the command:

- a patch field (declared ``Annotated[T | None, CommandField(patch=True)]``)
  is present when its name is in the fields set of the object holding it: the
  pipeline's ``fields_set`` for the command's own fields, the nested model's
  ``model_fields_set`` below it;
- any other field is present when its value is not ``None``;
- a path is present when every step is: an intermediate value that is
  ``None`` makes the rest absent, and a patch field's value is not checked
  against ``None`` (sending ``null`` for a patch field is a change).

Everything here is plain, frozen data computed when the declaration runs, so
an ahead-of-time compiler can read a reference without calling it.
"""

from __future__ import annotations

import types
import typing
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Annotated, Any, TypeAlias, Union

from loom.core.command.field import CommandField


class PredicateOp(StrEnum):
    """The operator of a :class:`FieldExpr`."""

    AND = "and"
    OR = "or"


def patch_fields(model: type[Any]) -> frozenset[str]:
    """The names of ``model``'s fields marked ``CommandField(patch=True)``."""
    fields = getattr(model, "model_fields", None)
    if not isinstance(fields, dict):
        return frozenset()
    return frozenset(
        name
        for name, info in fields.items()
        if any(
            isinstance(item, CommandField) and item.patch for item in getattr(info, "metadata", ())
        )
    )


def field_model(model: type[Any] | None, name: str) -> type[Any] | None:
    """The model class held by field ``name`` of ``model``, if there is exactly one.

    ``Inner``, ``Inner | None`` and ``Annotated[Inner | None, ...]`` all give
    ``Inner``; anything else (a scalar, a union of two models, an unknown
    model) gives ``None``.
    """
    fields = getattr(model, "model_fields", None)
    if not isinstance(fields, dict) or name not in fields:
        return None
    annotation = fields[name].annotation
    while typing.get_origin(annotation) is Annotated:
        annotation = typing.get_args(annotation)[0]
    if typing.get_origin(annotation) in (Union, types.UnionType):
        members = [arg for arg in typing.get_args(annotation) if arg is not type(None)]
        if len(members) != 1:
            return None
        annotation = members[0]
    if isinstance(annotation, type) and isinstance(getattr(annotation, "model_fields", None), dict):
        return annotation
    return None


def _model_at(root: type[Any] | str, path: tuple[str, ...]) -> type[Any] | None:
    """The model class at ``path`` below ``root``, when it is statically known."""
    if not isinstance(root, type) or not isinstance(getattr(root, "model_fields", None), dict):
        return None
    model: type[Any] | None = root
    for name in path:
        model = field_model(model, name)
    return model


def _label(root: type[Any] | str) -> str:
    return root if isinstance(root, str) else root.__qualname__


def _child(
    root: type[Any] | str, path: tuple[str, ...], patch: tuple[bool, ...], name: str
) -> FieldRef:
    if not isinstance(name, str) or not name:
        raise TypeError(f"a field name must be a non-empty string, got {name!r}")
    owner = _model_at(root, path)
    if owner is not None and name not in owner.model_fields and not hasattr(owner, name):
        where = ".".join((f"F({_label(root)})", *path))
        raise AttributeError(f"{where}: {owner.__qualname__} has no field {name!r}")
    is_patch = owner is not None and name in patch_fields(owner)
    return FieldRef(root, (*path, name), (*patch, is_patch))


@dataclass(frozen=True, slots=True, repr=False)
class FieldRef:
    """A path of attribute names from a command class: ``F(Cmd).a.b``.

    ``root`` is the command class, ``path`` the names (never empty), ``patch``
    one flag per name: whether presence of that step is read from a fields
    set (see the module docstring). Attribute access extends the path; use
    ``ref["name"]`` for a field called like one of these attributes.
    ``FieldRef(root, path)`` (as in loom-kernel) works out ``patch`` itself.
    """

    root: type[Any] | str
    path: tuple[str, ...]
    patch: tuple[bool, ...] = ()

    def __post_init__(self) -> None:
        if not self.path:
            raise ValueError("a FieldRef path cannot be empty")
        if not self.patch:
            flags: tuple[bool, ...] = ()
            for index, name in enumerate(self.path):
                flags = _child(self.root, self.path[:index], flags, name).patch
            object.__setattr__(self, "patch", flags)
        elif len(self.patch) != len(self.path):
            raise ValueError(f"FieldRef: {len(self.path)} names but {len(self.patch)} patch flags")

    def __getattr__(self, name: str) -> FieldRef:
        if name.startswith("_"):
            raise AttributeError(name)
        return _child(self.root, self.path, self.patch, name)

    def __getitem__(self, name: str) -> FieldRef:
        return _child(self.root, self.path, self.patch, name)

    @property
    def leaf(self) -> str:
        """The last name of the path."""
        return self.path[-1]

    def __and__(self, other: FieldRef | FieldExpr) -> FieldExpr:
        return FieldExpr(PredicateOp.AND, self, _predicate(other))

    def __or__(self, other: FieldRef | FieldExpr) -> FieldExpr:
        return FieldExpr(PredicateOp.OR, self, _predicate(other))

    def __repr__(self) -> str:
        if isinstance(self.root, str):
            return ".".join((f"F({self.root!r})", *self.path))
        return ".".join((f"F({self.root.__qualname__})", *self.path))


@dataclass(frozen=True, slots=True, repr=False)
class FieldExpr:
    """``left & right`` or ``left | right`` over field references."""

    op: PredicateOp
    left: FieldRef | FieldExpr
    right: FieldRef | FieldExpr

    def __and__(self, other: FieldRef | FieldExpr) -> FieldExpr:
        return FieldExpr(PredicateOp.AND, self, _predicate(other))

    def __or__(self, other: FieldRef | FieldExpr) -> FieldExpr:
        return FieldExpr(PredicateOp.OR, self, _predicate(other))

    def __repr__(self) -> str:
        symbol = "&" if self.op is PredicateOp.AND else "|"
        return f"({self.left!r} {symbol} {self.right!r})"


Predicate: TypeAlias = FieldRef | FieldExpr


def _predicate(value: object) -> Predicate:
    if not isinstance(value, (FieldRef, FieldExpr)):
        raise TypeError(f"expected a field reference or an &/| of them, got {value!r}")
    return value


class FieldRoot:
    """What ``F(Cmd)`` returns: attribute access starts a :class:`FieldRef`."""

    __slots__ = ("_root",)

    def __init__(self, root: type[Any] | str) -> None:
        self._root = root

    def __getattr__(self, name: str) -> FieldRef:
        if name.startswith("_"):
            raise AttributeError(name)
        return _child(self._root, (), (), name)

    def __getitem__(self, name: str) -> FieldRef:
        return _child(self._root, (), (), name)

    def __repr__(self) -> str:
        return (
            f"F({self._root!r})" if isinstance(self._root, str) else f"F({self._root.__qualname__})"
        )


def F(root: type[Any] | str) -> FieldRoot:
    """Start a field path on the command class ``root``: ``F(UpdateUser).email``.

    ``root`` may also be a name (``F("user").profile.name``), as loom-kernel
    allowed: a label only. The path is still read from the command, and no
    step of it is a patch field (nothing tells which are).
    """
    if not isinstance(root, type) and not (isinstance(root, str) and root):
        raise TypeError(f"F() takes a command class or a non-empty name, got {root!r}")
    return FieldRoot(root)


field_ref = F


# -- evaluation (what the interpreter runs) -----------------------------------------


def resolve(ref: FieldRef, command: Any) -> Any:
    """The value at ``ref``'s path: ``command.a.b``."""
    value = command
    for name in ref.path:
        value = getattr(value, name)
    return value


def is_present(ref: FieldRef, command: Any, fields_set: frozenset[str]) -> bool:
    """Whether ``ref`` is present on ``command`` (see the module docstring)."""
    holder = command
    names: frozenset[str] | set[str] = fields_set
    last = len(ref.path) - 1
    for index, (name, patch) in enumerate(zip(ref.path, ref.patch)):
        if patch and name not in names:
            return False
        value = getattr(holder, name)
        if index == last:
            return patch or value is not None
        if value is None:
            return False
        holder = value
        names = getattr(value, "model_fields_set", frozenset())
    raise AssertionError("unreachable: a FieldRef path is never empty")


def predicate_holds(predicate: Predicate, command: Any, fields_set: frozenset[str]) -> bool:
    """Evaluate a presence predicate: refs by :func:`is_present`, ``&``/``|`` lazily."""
    if isinstance(predicate, FieldRef):
        return is_present(predicate, command, fields_set)
    if predicate.op is PredicateOp.AND:
        return predicate_holds(predicate.left, command, fields_set) and predicate_holds(
            predicate.right, command, fields_set
        )
    return predicate_holds(predicate.left, command, fields_set) or predicate_holds(
        predicate.right, command, fields_set
    )


def predicate_refs(predicate: Predicate | None) -> tuple[FieldRef, ...]:
    """The references in ``predicate``, left to right."""
    if predicate is None:
        return ()
    if isinstance(predicate, FieldRef):
        return (predicate,)
    return predicate_refs(predicate.left) + predicate_refs(predicate.right)


# -- shared by Compute and Rule ------------------------------------------------------


def callable_label(fn: Callable[..., Any]) -> str:
    """A short name for ``via`` functions in labels."""
    name = getattr(fn, "__qualname__", None) or getattr(fn, "__name__", None)
    return name if isinstance(name, str) else type(fn).__name__


def check_refs(what: str, refs: tuple[object, ...]) -> tuple[FieldRef, ...]:
    """``refs`` as field references, or a ``TypeError`` naming ``what``."""
    for ref in refs:
        if not isinstance(ref, FieldRef):
            raise TypeError(f"{what}: expected field references like F(Cmd).name, got {ref!r}")
    return typing.cast(tuple[FieldRef, ...], refs)


def check_param_names(what: str, names: tuple[object, ...]) -> tuple[str, ...]:
    """Validate ``from_params`` names at declaration."""
    if not names:
        raise ValueError(f"{what}.from_params() needs at least one parameter name")
    for name in names:
        if not isinstance(name, str) or not name.isidentifier():
            raise ValueError(f"{what}.from_params(): {name!r} is not a parameter name")
    return typing.cast(tuple[str, ...], names)


def compile_problem(
    param_names: tuple[str, ...],
    refs: tuple[FieldRef, ...],
    parameters: frozenset[str],
    command_type: Any,
) -> str | None:
    """What is wrong with a spec in a given use case, or ``None``.

    ``parameters`` are the names of ``execute``'s parameters (what the context
    holds) and ``command_type`` the ``Input()`` command class, if any.
    """
    # Imported here: loom.core.engine imports this package.
    from loom.core.engine import messages

    for name in param_names:
        if name not in parameters:
            return messages.unknown_context_param(name, parameters)
    if isinstance(command_type, type):
        for ref in refs:
            if isinstance(ref.root, type) and not issubclass(command_type, ref.root):
                return messages.foreign_path(
                    repr(ref), ref.root.__qualname__, command_type.__qualname__
                )
    return None


def check_predicate(what: str, predicate: object) -> Predicate:
    """``predicate`` as given to ``when_present``, or a ``TypeError`` naming ``what``."""
    if not isinstance(predicate, (FieldRef, FieldExpr)):
        raise TypeError(f"{what}.when_present(): expected F(...) paths, got {predicate!r}")
    return predicate


def context_values(spec: Any, context: Mapping[str, Any] | None) -> list[Any]:
    """The context entries ``spec.param_names`` names (its ``from_params``), in order.

    A name the context lacks (or no context at all) is a ``ValueError`` naming
    ``spec`` by its ``__name__``.
    """
    values: list[Any] = []
    for name in spec.param_names:
        try:
            values.append(context[name])  # type: ignore[index]
        except (KeyError, TypeError):
            raise missing_context(spec.__name__, name, context) from None
    return values


def missing_context(what: str, name: str, context: object) -> ValueError:
    """The error for a ``from_params`` name absent from the context (or no context at all)."""
    if context is None:
        return ValueError(
            f"{what}: from_params({name!r}) needs the runtime context, and it was called"
            " without one (pass the context as the third argument)"
        )
    keys = sorted(context) if isinstance(context, dict) else []
    return ValueError(
        f"{what}: from_params({name!r}) is not in the context (keys: {', '.join(keys) or 'none'})"
    )


__all__ = [
    "CommandField",
    "F",
    "FieldExpr",
    "FieldRef",
    "FieldRoot",
    "Predicate",
    "PredicateOp",
    "field_model",
    "field_ref",
    "is_present",
    "patch_fields",
    "predicate_holds",
    "predicate_refs",
    "resolve",
]
