from typing import Any

from loom.core.use_case import Exists, Input, Load, LoadById, OnMissing, UseCase

from café import other
from café.models import Bestellung, Größe, User

StepRuntime = "a user name that collides with a name the generated code imports"


def build_command(cmd: Größe, fields_set: frozenset[str]) -> Größe:
    """A compute named like a runtime helper."""
    return cmd


class ÄndereBestellung(UseCase[Bestellung, str]):
    """Non-ASCII names, hostile strings, and parameters named like internals."""

    computes = [build_command]

    async def execute(
        self,
        params: str,
        repository: int,
        value: int,
        isinstance: str,
        größe: str,
        cmd: Größe = Input(),
        bestellung: Bestellung = LoadById(Bestellung, by="value", profile='it\'s "quoted" \\ \n\t é'),
        user: User = Load(User, from_param="größe", against="na\"me\\\nö"),
        other_user: other.User = Load(other.User, from_command="class_", against="class"),
        gibt_es: bool = Exists(Bestellung, from_command="wert", against="größe", on_missing=OnMissing.RAISE),
    ) -> str:
        return f"{params}{größe}"
