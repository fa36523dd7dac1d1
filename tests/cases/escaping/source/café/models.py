from dataclasses import dataclass

from loom.core.command import Command
from pydantic import Field


@dataclass(frozen=True)
class Bestellung:
    id: int
    größe: str


@dataclass(frozen=True)
class User:
    id: int


class Größe(Command):
    wert: str = Field(alias="Wert \"quoted\"")
    class_: str = Field(default="x", alias="class")
