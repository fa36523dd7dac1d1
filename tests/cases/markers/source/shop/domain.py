from dataclasses import dataclass

from loom.core.command import Command


@dataclass(frozen=True)
class Account:
    id: int
    email: str


@dataclass(frozen=True)
class Team:
    id: int
    slug: str


class InviteCommand(Command):
    owner_email: str
    team_slug: str
