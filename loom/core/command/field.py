"""Command field markers: ``Patch[T]``, ``Internal[T]``, ``Computed[T]`` and :class:`CommandField`.

A marker is an ``Annotated`` alias carrying a :class:`CommandField`:

- ``Patch[T]``: a field of a partial update. Left out of the payload, it is
  ``None`` and absent from ``fields_set``; sent (even as ``null``), it is in
  ``fields_set``. The DSL's presence tests read ``fields_set`` for it.
- ``Internal[T]``: set by the application or infrastructure (a tenant id,
  the acting user), not part of the client's contract.
- ``Computed[T]``: filled by a compute step.

Each allows ``None`` (``T | None``). A marked field without a default
defaults to ``None``, so a payload may leave it out. loom-kernel's command
class accepts every field from a payload, marked or not; so does loom's.
:mod:`loom.core.command.introspection` lists which fields carry which marker.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any, TypeAlias, TypeVar

try:  # loom-kernel's CommandField defaulted to msgspec.UNSET: the same object when installed.
    from msgspec import UNSET
except ImportError:  # pragma: no cover - exercised by the wheel smoke test without msgspec

    class _Unset:
        """Marks a :class:`CommandField` given no default."""

        __slots__ = ()

        def __repr__(self) -> str:
            return "UNSET"

        def __bool__(self) -> bool:
            return False

    UNSET = _Unset()  # type: ignore[assignment, misc]

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class CommandField:
    """What a command field is, beyond its type.

    ``patch``: presence means "the payload carried it" (``fields_set``), not
    "it is not ``None``". ``internal``: set by the application, not the
    client. ``calculated``: filled by a compute. ``default`` is recorded for
    tools (it is :data:`UNSET` unless given); the field's own default is the
    one the class declares, or ``None``.
    """

    calculated: bool = False
    internal: bool = False
    patch: bool = False
    default: Any = UNSET

    @property
    def marked(self) -> bool:
        """Whether any flag is set (such a field defaults to ``None``)."""
        return self.calculated or self.internal or self.patch


Patch: TypeAlias = Annotated[T | None, CommandField(patch=True)]
Internal: TypeAlias = Annotated[T | None, CommandField(internal=True)]
Computed: TypeAlias = Annotated[T | None, CommandField(calculated=True)]

__all__ = ["UNSET", "CommandField", "Computed", "Internal", "Patch"]
