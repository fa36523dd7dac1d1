"""Run a scenario against a built project in one execution mode, in a fresh process.

``python -m tests.differential.probe PROJECT MODE PACKAGE`` reads a scenario
(JSON, on stdin) and prints, as JSON, everything observable about each call:
the result (its ``repr``) or the exception (type and message, with its cause),
every metrics event (kind, use case, status, reason, error type and message),
every log line (level, message, fields but the duration), every unit-of-work
call and every repository call, and whether the class ran generated code.

Running each mode in its own interpreter means nothing one mode imported or
cached can help or hurt the other: the generated package is imported the way a
production process imports it. A scenario is a list of calls::

    {"use_case": "pkg.mod:Outer.Inner", "params": {...}, "payload": {...},
     "repos": {"pkg.mod:Entity": {"get": true, "exists": false}},
     "mapping": false, "patch": {"pkg.checks:quota_ok": "pkg.checks:lenient"},
     "uow": true}

``use_case`` may name a zero-argument factory (``pkg.mod:make()``) returning
a class, for classes defined inside functions. ``patch`` replaces attributes
(with :func:`unittest.mock.patch`) after the executor prepared the class and
before a second, new executor runs it: a patched module attribute must not
change what either mode calls.
"""

from __future__ import annotations

import asyncio
import importlib
import json
import sys
from collections.abc import Iterator, Mapping
from contextlib import ExitStack
from typing import Any
from unittest import mock

from loom.core.engine import RuntimeExecutor, UseCaseCompiler
from loom.core.errors import RuleViolations
from tests.support import RecordingLogger, RecordingMetrics, without_duration


def resolve(path: str) -> Any:
    """``pkg.mod:Outer.Inner`` or ``pkg.mod:factory()`` -> the object."""
    module_name, _, qualname = path.partition(":")
    target: Any = importlib.import_module(module_name)
    call = qualname.endswith("()")
    for part in qualname.removesuffix("()").split("."):
        target = getattr(target, part)
    return target() if call else target


class Repository:
    """Answers every lookup the same way and journals each call."""

    def __init__(self, entity: str, spec: Mapping[str, Any], journal: list[Any]) -> None:
        self.entity, self.spec, self.journal = entity, spec, journal

    def _found(self, method: str, args: tuple[Any, ...]) -> Any:
        self.journal.append([self.entity, method, repr(args)])
        return {"entity": self.entity, "args": repr(args)} if self.spec.get("get", True) else None

    async def get_by_id(self, value: Any, *, profile: str) -> Any:
        return self._found("get_by_id", (value, profile))

    async def get_by(self, field: str, value: Any, *, profile: str) -> Any:
        return self._found("get_by", (field, value, profile))

    async def exists_by(self, field: str, value: Any) -> Any:
        self.journal.append([self.entity, "exists_by", repr((field, value))])
        return bool(self.spec.get("exists", True))


class CountingMapping(Mapping[Any, Any]):
    """A read-only mapping that is not a dict and journals every ``get``."""

    def __init__(self, data: dict[Any, Any], journal: list[Any]) -> None:
        self.data, self.journal = data, journal

    def __getitem__(self, key: Any) -> Any:
        self.journal.append(["dependencies", "getitem", getattr(key, "__name__", repr(key))])
        return self.data[key]

    def get(self, key: Any, default: Any = None) -> Any:
        self.journal.append(["dependencies", "get", getattr(key, "__name__", repr(key))])
        return self.data.get(key, default)

    def __iter__(self) -> Iterator[Any]:
        return iter(self.data)

    def __len__(self) -> int:
        return len(self.data)


class UnitOfWork:
    def __init__(self, journal: list[str]) -> None:
        self.journal = journal

    async def begin(self) -> None:
        self.journal.append("begin")

    async def commit(self) -> None:
        self.journal.append("commit")

    async def rollback(self) -> None:
        self.journal.append("rollback")


class UnitOfWorkFactory:
    def __init__(self) -> None:
        self.journal: list[str] = []

    def create(self) -> UnitOfWork:
        self.journal.append("create")
        return UnitOfWork(self.journal)


def describe(error: BaseException | None) -> Any:
    if error is None:
        return None
    described: list[Any] = [type(error).__name__, str(error)]
    if isinstance(error, RuleViolations):
        described.append([[v.field, v.message] for v in error.violations])
    cause = error.__cause__
    if cause is not None:
        described.append([type(cause).__name__, str(cause)])
    return described


def _plain(value: Any) -> Any:
    return value if isinstance(value, (str, int, float, bool, type(None))) else repr(value)


async def run_call(call: Mapping[str, Any], mode: str, package: str) -> dict[str, Any]:
    use_case_type = resolve(call["use_case"])
    metrics, logger, uow = RecordingMetrics(), RecordingLogger(), UnitOfWorkFactory()
    journal: list[Any] = []

    def executor() -> RuntimeExecutor:
        return RuntimeExecutor(
            UseCaseCompiler(logger=RecordingLogger()),
            uow_factory=uow if call.get("uow", True) else None,
            logger=logger,
            metrics=metrics,
            execution_mode=mode,
            generated_package=package,
        )

    repositories = {
        resolve(entity): Repository(entity, spec, journal)
        for entity, spec in call.get("repos", {}).items()
    }
    dependencies: Mapping[Any, Any] = repositories
    if call.get("mapping"):
        dependencies = CountingMapping(repositories, journal)
    outcome: dict[str, Any] = {"use_case": call["use_case"]}
    try:
        first = executor()
        first.prepare(use_case_type)
        outcome["generated"] = first.uses_generated(use_case_type)
        with ExitStack() as patches:
            for target, replacement in call.get("patch", {}).items():
                module_name, _, attribute = target.partition(":")
                patches.enter_context(
                    mock.patch(f"{module_name}.{attribute}", resolve(replacement))
                )
            second = executor() if call.get("patch") else first
            result = await second.execute(
                use_case_type(),
                params=call.get("params"),
                payload=call.get("payload"),
                dependencies=dependencies,
            )
        outcome["result"] = repr(result)
    except Exception as error:  # noqa: BLE001 - everything is compared
        outcome["error"] = describe(error)
    outcome["events"] = [
        [
            event.kind.value,
            event.use_case_name,
            event.status,
            event.reason,
            describe(event.error),
        ]
        for event in metrics.events
    ]
    outcome["logs"] = [
        [
            line.level,
            without_duration(line.event),
            sorted(
                (key, _plain(value)) for key, value in line.fields.items() if key != "duration_ms"
            ),
        ]
        for line in logger.lines
    ]
    outcome["repositories"] = journal
    outcome["uow"] = uow.journal
    return outcome


def main() -> None:
    project, mode, package = sys.argv[1:4]
    sys.path.insert(0, project)
    scenario = json.load(sys.stdin)
    outcomes = [asyncio.run(run_call(call, mode, package)) for call in scenario]
    json.dump(outcomes, sys.stdout)


if __name__ == "__main__":
    main()
