"""Parameter markers: defaults in ``execute`` that say where a value comes from.

``cmd: C = Input()`` builds a command from the payload; ``LoadById``/``Load``
fetch an entity from its repository; ``Exists`` asks whether one exists. A
parameter without a marker is a plain parameter bound from ``params``.

The factories are typed as returning ``Any`` so that ``user: User =
LoadById(User)`` type-checks; the objects they return are the frozen marker
dataclasses below, which the compiler reads once.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any, ClassVar


class OnMissing(StrEnum):
    """What a lookup yields when nothing matches."""

    RAISE = "raise"
    RETURN_NONE = "return_none"
    RETURN_FALSE = "return_false"


class SourceKind(StrEnum):
    """Where a lookup value is read from."""

    PARAM = "param"
    COMMAND = "command"


class LookupKind(StrEnum):
    """How a repository is asked for an entity."""

    BY_ID = "by_id"
    BY_FIELD = "by_field"


@dataclass(frozen=True, slots=True)
class InputMarker:
    """The parameter receives the command built from the payload."""


@dataclass(frozen=True, slots=True)
class LoadByIdMarker:
    """Load ``entity_type`` by id: the plain parameter ``by``, or the command
    field ``from_command`` when it is set."""

    entity_type: type[Any]
    by: str = "id"
    profile: str = "default"
    on_missing: OnMissing = OnMissing.RAISE
    from_command: str | None = None

    # The lookup in the terms of :class:`LoadMarker`.
    lookup_kind: ClassVar[LookupKind] = LookupKind.BY_ID
    against: ClassVar[str] = "id"

    @property
    def source_kind(self) -> SourceKind:
        return SourceKind.PARAM if self.from_command is None else SourceKind.COMMAND

    @property
    def source_name(self) -> str:
        return self.by if self.from_command is None else self.from_command

    @property
    def from_kind(self) -> SourceKind:
        """loom-kernel's name for :attr:`source_kind`."""
        return self.source_kind

    @property
    def from_name(self) -> str:
        """loom-kernel's name for :attr:`source_name`."""
        return self.source_name


class _KernelSourceNames:
    """loom-kernel's names for a lookup's source: ``from_kind``, ``from_name``."""

    __slots__ = ()
    source_kind: SourceKind
    source_name: str

    @property
    def from_kind(self) -> SourceKind:
        """loom-kernel's name for :attr:`source_kind`."""
        return self.source_kind

    @property
    def from_name(self) -> str:
        """loom-kernel's name for :attr:`source_name`."""
        return self.source_name


@dataclass(frozen=True, slots=True)
class LoadMarker(_KernelSourceNames):
    """Load ``entity_type`` whose field ``against`` equals a param or command field."""

    entity_type: type[Any]
    source_kind: SourceKind
    source_name: str
    against: str
    profile: str = "default"
    on_missing: OnMissing = OnMissing.RAISE

    lookup_kind: ClassVar[LookupKind] = LookupKind.BY_FIELD


@dataclass(frozen=True, slots=True)
class ExistsMarker(_KernelSourceNames):
    """Ask whether an ``entity_type`` with field ``against`` equal to the value exists."""

    entity_type: type[Any]
    source_kind: SourceKind
    source_name: str
    against: str
    on_missing: OnMissing = OnMissing.RETURN_FALSE


def _one_source(
    marker: str, from_param: str | None, from_command: str | None
) -> tuple[SourceKind, str]:
    if (from_param is None) == (from_command is None):
        from loom.core.engine.messages import one_source

        raise ValueError(one_source(marker))
    if from_param is not None:
        return SourceKind.PARAM, _text(marker, "from_param", from_param)
    return SourceKind.COMMAND, _text(marker, "from_command", from_command)


def _text(marker: str, argument: str, value: object) -> str:
    if not isinstance(value, str) or not value:
        raise ValueError(f"{marker}(): {argument}= must be a non-empty string, got {value!r}")
    return value


def _policy(marker: str, value: object) -> OnMissing:
    if isinstance(value, OnMissing):
        return value
    if isinstance(value, str):
        try:
            return OnMissing(value)
        except ValueError:
            pass
    raise ValueError(bad_policy(marker, repr(value)))


def bad_policy(marker: str, written: str) -> str:
    """The error for an ``on_missing=`` that is not a policy, listing the valid ones
    (``written``: the value as written or shown; loomgen reports it from source)."""
    members = ", ".join(f"OnMissing.{m.name}" for m in OnMissing)
    strings = ", ".join(repr(m.value) for m in OnMissing)
    return (
        f"{marker}(): on_missing= must be an OnMissing, got {written};"
        f" valid values: {members} (or the strings {strings})"
    )


def Input() -> Any:
    """Mark the parameter that receives the command built from the payload."""
    return InputMarker()


def LoadById(
    entity_type: type[Any],
    *,
    by: str = "id",
    from_command: str | None = None,
    profile: str = "default",
    on_missing: OnMissing = OnMissing.RAISE,
) -> Any:
    """Load an entity through ``repo.get_by_id(value, profile=profile)``, the id
    being the plain parameter ``by`` or, with ``from_command``, that command field."""
    if from_command is not None and by != "id":
        raise ValueError(
            f"LoadById(): by={by!r} and from_command={from_command!r} both name the id;"
            " give one of them"
        )
    return LoadByIdMarker(
        entity_type,
        by=_text("LoadById", "by", by),
        profile=_text("LoadById", "profile", profile),
        on_missing=_policy("LoadById", on_missing),
        from_command=(
            None if from_command is None else _text("LoadById", "from_command", from_command)
        ),
    )


def Load(
    entity_type: type[Any],
    *,
    from_param: str | None = None,
    from_command: str | None = None,
    against: str,
    profile: str = "default",
    on_missing: OnMissing = OnMissing.RAISE,
) -> Any:
    """Load an entity through ``repo.get_by(against, value, profile=profile)``."""
    source_kind, source_name = _one_source("Load", from_param, from_command)
    return LoadMarker(
        entity_type,
        source_kind=source_kind,
        source_name=source_name,
        against=_text("Load", "against", against),
        profile=_text("Load", "profile", profile),
        on_missing=_policy("Load", on_missing),
    )


def Exists(
    entity_type: type[Any],
    *,
    from_param: str | None = None,
    from_command: str | None = None,
    against: str,
    on_missing: OnMissing = OnMissing.RETURN_FALSE,
) -> Any:
    """Check ``repo.exists_by(against, value)``; the parameter receives a bool."""
    source_kind, source_name = _one_source("Exists", from_param, from_command)
    return ExistsMarker(
        entity_type,
        source_kind=source_kind,
        source_name=source_name,
        against=_text("Exists", "against", against),
        on_missing=_policy("Exists", on_missing),
    )


__all__ = [
    "Exists",
    "ExistsMarker",
    "Input",
    "InputMarker",
    "Load",
    "LoadById",
    "LoadByIdMarker",
    "LoadMarker",
    "LookupKind",
    "OnMissing",
    "SourceKind",
]
