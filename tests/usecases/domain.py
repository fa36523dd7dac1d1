"""Entities, commands and the observation log shared by the test use cases."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

from pydantic import Field

from loom.core.command import Command

OBSERVED: list[tuple[str, Any]] = []
"""What computes and rules saw, as ``(function name, value)``; tests clear it."""


@dataclass(frozen=True)
class User:
    id: int
    email: str
    name: str = ""


@dataclass(frozen=True)
class Team:
    id: int
    name: str


class RenameUser(Command):
    name: str


class UpdateProfile(Command):
    """A PATCH-style command: every field optional, one with an alias."""

    display_name: str = Field(default="", alias="displayName")
    age: int | None = None
    email: str | None = None


class AssignTeam(Command):
    owner_email: str
    team_name: str = ""


class JoinTeam(Command):
    """Names the team to join by its id: a ``LoadById(..., from_command=...)``."""

    team_id: int
    role: str = "member"


class Signup(Command):
    email: str
    name: str = ""
    age: int = 0


class FrozenRename(Command, frozen=True):
    name: str


class StrictRename(Command, forbid_unknown_fields=True):
    """Rejects payload keys that name no field."""

    name: str


class SetPrice(Command, frozen=True, kw_only=True, omit_defaults=True, rename="camel"):
    """Declared the way loom-kernel's msgspec commands were."""

    price_cents: int
    stock: int = 0


class Named(Protocol):
    """A structural type (not runtime-checkable): anything with a ``name``."""

    name: str


@dataclass
class PlainPayload:
    """Looks like a command but has no ``from_payload``."""

    name: str
