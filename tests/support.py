"""Recording test doubles shared by the behaviour tests.

Everything here records what the runtime did to it, so tests can assert on
the exact calls (and their order) instead of on side effects:

- :class:`RecordingMetrics` keeps every :class:`RuntimeEvent` it receives;
- :class:`RecordingLogger` implements ``LoggerPort`` and keeps every line;
- :class:`InMemoryRepository` answers ``get_by_id``/``get_by``/``exists_by``
  from a list of entities and records each call;
- :class:`RecordingUnitOfWorkFactory` makes units of work that record
  ``begin``/``commit``/``rollback`` and can be told to fail.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any, Generic, NamedTuple, TypeVar

from loom.core.engine.events import EventKind, RuntimeEvent

EntityT = TypeVar("EntityT")


# -- metrics -------------------------------------------------------------------


class RecordingMetrics:
    """A ``MetricsAdapter`` that keeps every event, in order."""

    def __init__(self) -> None:
        self.events: list[RuntimeEvent] = []

    def on_event(self, event: RuntimeEvent) -> None:
        self.events.append(event)

    @property
    def kinds(self) -> list[EventKind]:
        """The kinds of the recorded events, in order."""
        return [event.kind for event in self.events]

    def of_kind(self, kind: EventKind) -> list[RuntimeEvent]:
        """The recorded events of one kind, in order."""
        return [event for event in self.events if event.kind == kind]


# -- logging -------------------------------------------------------------------


class LogLine(NamedTuple):
    """One line a :class:`RecordingLogger` received (bound fields merged in)."""

    level: str
    event: str
    fields: dict[str, Any]

    def mentions(self, text: str) -> bool:
        """Whether ``text`` appears in the event or in any field value."""
        return text in self.event or any(text in str(value) for value in self.fields.values())


_DONE_WITH_DURATION = re.compile(r"\[DONE\] \d+\.\dms")


def without_duration(event: str) -> str:
    """A log line's text with the duration ``[DONE] <ms>ms`` carries left out.

    Two runs of the same call log the same lines except for that number.
    """
    return "[DONE] <ms>ms" if _DONE_WITH_DURATION.fullmatch(event) else event


class RecordingLogger:
    """A ``LoggerPort`` that records ``(level, event, fields)`` for every call.

    ``bind(**fields)`` returns a logger writing to the same list, with the
    bound fields merged into each line (fields passed to the call win).
    """

    def __init__(
        self, lines: list[LogLine] | None = None, bound: dict[str, Any] | None = None
    ) -> None:
        self.lines: list[LogLine] = [] if lines is None else lines
        self.bound: dict[str, Any] = dict(bound or {})

    def bind(self, **fields: Any) -> RecordingLogger:
        return RecordingLogger(self.lines, {**self.bound, **fields})

    def _record(self, level: str, event: str, fields: dict[str, Any]) -> None:
        self.lines.append(LogLine(level, event, {**self.bound, **fields}))

    def debug(self, event: str, **fields: Any) -> None:
        self._record("debug", event, fields)

    def info(self, event: str, **fields: Any) -> None:
        self._record("info", event, fields)

    def warning(self, event: str, **fields: Any) -> None:
        self._record("warning", event, fields)

    def error(self, event: str, **fields: Any) -> None:
        self._record("error", event, fields)

    def exception(self, event: str, **fields: Any) -> None:
        self._record("exception", event, fields)

    @property
    def levels(self) -> list[str]:
        """The levels of the recorded lines, in order."""
        return [line.level for line in self.lines]

    def at(self, level: str) -> list[LogLine]:
        """The recorded lines of one level, in order."""
        return [line for line in self.lines if line.level == level]


# -- repositories ----------------------------------------------------------------


class RepoCall(NamedTuple):
    """One call made to an :class:`InMemoryRepository`."""

    method: str
    args: tuple[Any, ...]
    kwargs: dict[str, Any]


class InMemoryRepository(Generic[EntityT]):
    """An async repository over a list of entities that records every call.

    ``get_by_id`` matches the ``id`` attribute, ``get_by``/``exists_by`` the
    named attribute. ``profile`` is keyword-only and has no default, so a
    runtime that forgets to forward it fails loudly. When ``journal`` is
    given, each call is also appended to it as ``(name, call)``, which lets a
    test see the order of calls across several repositories.
    """

    def __init__(
        self,
        entities: Iterable[EntityT] = (),
        *,
        name: str = "repository",
        journal: list[tuple[str, RepoCall]] | None = None,
    ) -> None:
        self.entities: list[EntityT] = list(entities)
        self.name = name
        self.calls: list[RepoCall] = []
        self._journal = journal

    def _record(self, method: str, args: tuple[Any, ...], kwargs: dict[str, Any]) -> None:
        call = RepoCall(method, args, kwargs)
        self.calls.append(call)
        if self._journal is not None:
            self._journal.append((self.name, call))

    def _first(self, field: str, value: Any) -> EntityT | None:
        for entity in self.entities:
            if getattr(entity, field, None) == value:
                return entity
        return None

    async def get_by_id(self, value: Any, *, profile: str) -> EntityT | None:
        self._record("get_by_id", (value,), {"profile": profile})
        return self._first("id", value)

    async def get_by(self, field: str, value: Any, *, profile: str) -> EntityT | None:
        self._record("get_by", (field, value), {"profile": profile})
        return self._first(field, value)

    async def exists_by(self, field: str, value: Any) -> bool:
        self._record("exists_by", (field, value), {})
        return self._first(field, value) is not None


# -- unit of work ----------------------------------------------------------------


class RecordingUnitOfWork:
    """A unit of work that records its lifecycle calls.

    Each call is appended to ``calls`` and, as ``"<call>"``, to the journal it
    shares with its factory (tests may append their own entries to that journal
    to check ordering, e.g. of dispatches).
    """

    def __init__(
        self,
        journal: list[str],
        *,
        fail_on_commit: BaseException | None = None,
        fail_on_rollback: BaseException | None = None,
    ) -> None:
        self.calls: list[str] = []
        self._journal = journal
        self._fail_on_commit = fail_on_commit
        self._fail_on_rollback = fail_on_rollback

    def _record(self, call: str) -> None:
        self.calls.append(call)
        self._journal.append(call)

    async def begin(self) -> None:
        self._record("begin")

    async def commit(self) -> None:
        self._record("commit")
        if self._fail_on_commit is not None:
            raise self._fail_on_commit

    async def rollback(self) -> None:
        self._record("rollback")
        if self._fail_on_rollback is not None:
            raise self._fail_on_rollback

    async def __aenter__(self) -> RecordingUnitOfWork:
        await self.begin()
        return self

    async def __aexit__(self, exc_type: type[BaseException] | None, *rest: object) -> None:
        if exc_type is None:
            await self.commit()
        else:
            await self.rollback()


class RecordingUnitOfWorkFactory:
    """A ``UnitOfWorkFactory`` keeping every unit of work it created.

    ``fail_on_commit``/``fail_on_rollback`` are raised by the corresponding
    call of every unit of work it makes.
    """

    def __init__(
        self,
        *,
        fail_on_commit: BaseException | None = None,
        fail_on_rollback: BaseException | None = None,
        journal: list[str] | None = None,
    ) -> None:
        self.created: list[RecordingUnitOfWork] = []
        self.journal: list[str] = [] if journal is None else journal
        self._fail_on_commit = fail_on_commit
        self._fail_on_rollback = fail_on_rollback

    def create(self) -> RecordingUnitOfWork:
        uow = RecordingUnitOfWork(
            self.journal,
            fail_on_commit=self._fail_on_commit,
            fail_on_rollback=self._fail_on_rollback,
        )
        self.created.append(uow)
        return uow


__all__ = [
    "InMemoryRepository",
    "LogLine",
    "RecordingLogger",
    "RecordingMetrics",
    "RecordingUnitOfWork",
    "RecordingUnitOfWorkFactory",
    "RepoCall",
]
