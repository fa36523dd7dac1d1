# mypy: ignore-errors
# (runs in .bench/kernel-venv, against loom-kernel, not this checkout)
"""The together shape on loom-kernel 0.12.3, run in its own venv.

Run by :mod:`bench.kernel` as ``.bench/kernel-venv/bin/python -I
bench/kernel_case.py``: ``-I`` keeps this checkout's ``loom`` off the path,
so ``loom`` here is the kernel's. The use case mirrors
``bench.usecases.together.RenameUser``: one ``int`` param, ``Input()``,
``LoadById``, two computes and two rules, the same in-memory repository, the
same payload. Logging is left at the stdlib default level (WARNING): the
kernel logs through structlog, so structlog is configured to filter below
WARNING the way stdlib logging does by default (its own default would print
every INFO line to stdout).

Protocol on stdin/stdout, one line each: ``check`` -> ``ok <result>``;
``run N`` -> seconds taken by N calls; ``quit``.
"""

from __future__ import annotations

import asyncio
import importlib.util
import logging
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import msgspec
import structlog

from loom.core.command import Command
from loom.core.engine import RuntimeExecutor, UseCaseCompiler
from loom.core.use_case import Input, LoadById, RuleViolation, UseCase

structlog.configure(
    wrapper_class=structlog.make_filtering_bound_logger(logging.WARNING),
    cache_logger_on_first_use=True,
)


@dataclass(frozen=True, slots=True)
class User:
    id: int
    email: str
    name: str


class RenameUserCmd(Command, frozen=True):
    email: str
    name: str


class InMemoryRepository:
    def __init__(self, entities: list[User]) -> None:
        self._by_id = {e.id: e for e in entities}

    async def get_by_id(self, entity_id: Any, *, profile: str) -> User | None:
        return self._by_id.get(entity_id)


def strip_name(cmd: RenameUserCmd, fields_set: frozenset[str]) -> RenameUserCmd:
    name = cmd.name.strip()
    if name == cmd.name:
        return cmd
    return msgspec.structs.replace(cmd, name=name)


def lower_email(cmd: RenameUserCmd, fields_set: frozenset[str]) -> RenameUserCmd:
    email = cmd.email.lower()
    if email == cmd.email:
        return cmd
    return msgspec.structs.replace(cmd, email=email)


def name_not_blank(cmd: RenameUserCmd, fields_set: frozenset[str]) -> None:
    if not cmd.name:
        raise RuleViolation("name", "must not be blank")


def email_has_at(cmd: RenameUserCmd, fields_set: frozenset[str]) -> None:
    if "@" not in cmd.email:
        raise RuleViolation("email", "must contain @")


class RenameUser(UseCase[Any, str]):
    computes = [strip_name, lower_email]
    rules = [name_not_blank, email_has_at]

    async def execute(
        self,
        user_id: int,
        cmd: RenameUserCmd = Input(),
        user: User = LoadById(User, by="user_id"),
    ) -> str:
        return cmd.name if user.name != cmd.name else user.name


def _harness() -> Any:
    path = Path(__file__).resolve().parent / "harness.py"
    spec = importlib.util.spec_from_file_location("_bench_harness", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


async def serve() -> None:
    harness = _harness()
    users = [User(i, f"user{i}@example.com", f"User {i}") for i in range(1, 101)]
    executor = RuntimeExecutor(UseCaseCompiler())
    namespace = {
        "execute": executor.execute,
        "use_case": RenameUser(),
        "params": {"user_id": 3},
        "payload": {"email": "ada@example.com", "name": "Ada"},
        "repos": {User: InMemoryRepository(users)},
    }
    call = "execute(use_case, params=params, payload=payload, dependencies=repos)"
    loop = harness.make_loop(call, namespace)
    for line in sys.stdin:
        command, _, argument = line.strip().partition(" ")
        if command == "check":
            result = await eval(call, namespace)  # noqa: S307 - our own fixed expression
            reply = f"ok {result}"
        elif command == "run":
            reply = repr(await harness._timed(loop, int(argument)))
        else:
            break
        sys.stdout.write(reply + "\n")
        sys.stdout.flush()


if __name__ == "__main__":
    asyncio.run(serve())
