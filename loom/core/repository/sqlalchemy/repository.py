"""A generic repository over one SQLAlchemy 2 declarative model."""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import AsyncIterator, Iterable, Mapping
from contextlib import asynccontextmanager
from typing import Any, Generic, TypeVar, cast

from sqlalchemy import exists, func, inspect, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapper, raiseload, selectinload
from sqlalchemy.sql import Select

from loom.core.repository.abc import (
    CursorResult,
    PageParams,
    PageResult,
    PaginationMode,
    QuerySpec,
    build_page_result,
)
from loom.core.repository.abc.query import MAX_LIMIT
from loom.core.repository.sqlalchemy.integrity import integrity_conflict
from loom.core.repository.sqlalchemy.query import QueryCompiler
from loom.core.repository.sqlalchemy.session_manager import SessionManager
from loom.core.repository.sqlalchemy.transactional import get_active_session

ModelT = TypeVar("ModelT")

DEFAULT_PROFILE = "default"
_SESSION_LOCK = "loom_session_lock"


class UnknownProfileError(ValueError):
    """A load asked for a profile the repository does not define."""


class RepositorySQLAlchemy(Generic[ModelT]):
    """Reads and writes of ``model`` (a mapped class with a one-column primary key).

    Entities are the model's own instances. Inside a unit of work (or a
    ``@transactional`` call) every method runs on the active session, so
    loaded entities belong to the transaction: changing an attribute is
    enough for the change to be written at commit. Without one, each call is
    a short transaction of its own and returns detached instances whose
    loaded attributes stay readable.

    **Profiles** say which relationships a load fetches: a relationship
    declared with ``info={"profiles": ("detail",)}`` is loaded by the
    ``"detail"`` profile; one without ``profiles`` is loaded by
    ``"default"``. ``profiles={"detail": ("lines",)}`` overrides what the
    model declares. Relationships a profile does not load raise on access
    instead of issuing hidden queries. Profiles named in ``lock_profiles``
    also lock the loaded row until the transaction ends (``SELECT ... FOR
    UPDATE``; SQLite's write transactions are serialized anyway), so a use
    case can read, check and write a row without a concurrent writer in
    between. Asking for any other profile raises :class:`UnknownProfileError`.

    ``allowed_filter_fields`` (class attribute or keyword) restricts the
    fields :meth:`list_with_query` may filter on; empty allows every field.
    """

    allowed_filter_fields: frozenset[str] = frozenset()

    def __init__(
        self,
        session_manager: SessionManager,
        model: type[ModelT],
        *,
        profiles: Mapping[str, Iterable[str]] | None = None,
        lock_profiles: Iterable[str] = (),
        allowed_filter_fields: Iterable[str] | None = None,
    ) -> None:
        mapper = inspect(model, raiseerr=False)
        if not isinstance(mapper, Mapper):
            raise TypeError(
                f"RepositorySQLAlchemy: {model!r} is not a mapped SQLAlchemy class "
                f"(declare it on a DeclarativeBase)"
            )
        if len(mapper.primary_key) != 1:
            raise TypeError(
                f"RepositorySQLAlchemy: {model.__name__} must have a one-column primary key, "
                f"it has {len(mapper.primary_key)}"
            )
        self.session_manager = session_manager
        self.model = model
        self._mapper: Mapper[Any] = mapper
        self._columns = frozenset(mapper.column_attrs.keys())
        self._attributes = frozenset(mapper.attrs.keys())
        if allowed_filter_fields is not None:
            self.allowed_filter_fields = frozenset(allowed_filter_fields)
        self._compiler = QueryCompiler(model, mapper, self.allowed_filter_fields)
        self.id_field = self._compiler.primary_key
        self._lock_profiles = frozenset(lock_profiles)
        self._profiles = self._build_profiles(profiles)

    @property
    def entity_name(self) -> str:
        return self.model.__name__

    @property
    def profiles(self) -> frozenset[str]:
        """Every profile name this repository accepts."""
        return frozenset(self._profiles)

    # -- reads ---------------------------------------------------------------

    async def get_by_id(self, id: Any, profile: str = DEFAULT_PROFILE) -> ModelT | None:
        """The entity whose primary key is ``id``, or ``None``."""
        return await self._first(self._column(self.id_field) == id, profile)

    async def get_by(self, field: str, value: Any, profile: str = DEFAULT_PROFILE) -> ModelT | None:
        """The first entity whose column ``field`` equals ``value``, or ``None``."""
        return await self._first(self._column(field) == value, profile)

    async def exists_by(self, field: str, value: Any) -> bool:
        """Whether some entity's column ``field`` equals ``value``."""
        statement = select(exists().where(self._column(field) == value))
        async with self._session_scope() as session:
            return bool((await session.execute(statement)).scalar())

    async def exists(self, id: Any) -> bool:
        return await self.exists_by(self.id_field, id)

    async def count(self) -> int:
        async with self._session_scope() as session:
            statement = select(func.count()).select_from(self.model)
            return int((await session.execute(statement)).scalar_one())

    async def list_with_query(
        self, query: QuerySpec, profile: str = DEFAULT_PROFILE
    ) -> PageResult[ModelT] | CursorResult[ModelT]:
        """Filter, sort and page: a :class:`PageResult` for ``OFFSET`` paging,
        a :class:`CursorResult` for ``CURSOR`` paging."""
        if not isinstance(query, QuerySpec):
            raise TypeError(f"list_with_query takes a QuerySpec, got {type(query).__name__}")
        mode = PaginationMode(query.pagination)
        if not 1 <= query.limit <= MAX_LIMIT:
            raise ValueError(f"limit must be in [1, {MAX_LIMIT}], got {query.limit}")
        # A page is not locked, whatever the profile (and window functions refuse FOR UPDATE).
        statement = self._select(profile, lock=False)
        if query.filters is not None:
            statement = statement.where(self._compiler.where(query.filters))
        keys = self._compiler.sort_keys(query.sort)
        statement = statement.order_by(*self._compiler.order_by(keys))
        if mode is PaginationMode.CURSOR:
            if query.cursor:
                statement = statement.where(self._compiler.after_cursor(keys, query.cursor))
            async with self._session_scope() as session:
                found = await session.execute(statement.limit(query.limit + 1))
                rows: list[ModelT] = list(found.scalars())
            has_next = len(rows) > query.limit
            items = rows[: query.limit]
            cursor = self._compiler.encode_cursor(keys, items[-1]) if has_next else None
            return CursorResult(items=tuple(items), next_cursor=cursor, has_next=has_next)
        page = PageParams(page=query.page, limit=query.limit)
        counted = statement.add_columns(func.count().over().label("loom_total_count"))
        async with self._session_scope() as session:
            result = await session.execute(counted.offset(page.offset).limit(page.limit))
            rows_with_total = result.all()
            if rows_with_total:
                total = int(rows_with_total[0][1])
            else:
                # Past the last page the window has no row to report the total on.
                total_statement = select(func.count()).select_from(
                    statement.order_by(None).subquery()
                )
                total = int((await session.execute(total_statement)).scalar_one())
        return build_page_result([row[0] for row in rows_with_total], total, page)

    # -- writes --------------------------------------------------------------

    async def create(self, data: Any) -> ModelT:
        """Insert an entity from a model instance, a mapping, a dataclass, a
        pydantic model or a msgspec struct; returns it with its generated values."""
        if isinstance(data, self.model):
            entity = data
        else:
            entity = self.model(**self._values(data, "create", partial=False))
        async with self._session_scope(write=True) as session:
            session.add(entity)
            await self._flush(session, "create")
            await session.refresh(entity)
        return entity

    async def update(self, id: Any, data: Any) -> ModelT | None:
        """Set the given fields (a pydantic model: those set; a msgspec struct:
        those not ``UNSET``) on the entity ``id``; ``None`` when it does not exist.
        The primary key is never changed."""
        values = self._values(data, "update", partial=True)
        values.pop(self.id_field, None)
        async with self._session_scope(write=True) as session:
            entity = await session.get(self.model, id)
            if entity is None:
                return None
            for name, value in values.items():
                setattr(entity, name, value)
            await self._flush(session, "update")
            await session.refresh(entity)
        return entity

    async def delete(self, id: Any) -> bool:
        """Delete the entity ``id``; ``False`` when it does not exist."""
        async with self._session_scope(write=True) as session:
            entity = await session.get(self.model, id)
            if entity is None:
                return False
            await session.delete(entity)
            await self._flush(session, "delete")
        return True

    # -- sessions ------------------------------------------------------------

    @asynccontextmanager
    async def _session_scope(self, *, write: bool = False) -> AsyncIterator[AsyncSession]:
        """The active session (one statement at a time), or a short transaction of its own."""
        active = get_active_session()
        if active is not None:
            # Tasks a use case spawns share its session, which allows one
            # operation at a time: take turns.
            lock = active.info.get(_SESSION_LOCK)
            if lock is None:
                lock = active.info[_SESSION_LOCK] = asyncio.Lock()
            async with lock:
                yield active
            return
        async with self.session_manager.session() as session:
            if write:
                await self.session_manager.begin_write(session)
            try:
                yield session
                await session.commit()
            except BaseException:
                await session.rollback()
                raise

    async def _flush(self, session: AsyncSession, operation: str) -> None:
        try:
            await session.flush()
        except IntegrityError as error:
            raise integrity_conflict(error, f"{operation} {self.entity_name}") from error

    # -- helpers -------------------------------------------------------------

    def _column(self, field: str) -> Any:
        if field not in self._columns:
            raise ValueError(
                f"{self.entity_name} has no column {field!r}; "
                f"columns: {', '.join(sorted(self._columns))}"
            )
        return getattr(self.model, field)

    def _select(self, profile: str, *, lock: bool = True) -> Select[Any]:
        options = self._profiles.get(profile)
        if options is None:
            known = ", ".join(repr(name) for name in sorted(self._profiles))
            raise UnknownProfileError(
                f"Profile {profile!r} not found for {self.entity_name}; known profiles: {known}"
            )
        statement = select(self.model).options(*options)
        if lock and profile in self._lock_profiles:
            statement = statement.with_for_update()
        return statement

    async def _first(self, condition: Any, profile: str) -> ModelT | None:
        statement = self._select(profile).where(condition).limit(1)
        async with self._session_scope() as session:
            result = await session.execute(statement)
            return cast(ModelT | None, result.scalars().first())

    def _build_profiles(self, declared: Mapping[str, Iterable[str]] | None) -> dict[str, list[Any]]:
        relations = {rel.key: rel for rel in self._mapper.relationships}
        names: dict[str, list[str]] = {DEFAULT_PROFILE: []}
        if declared is None:
            for key, rel in relations.items():
                tagged = rel.info.get("profiles", (DEFAULT_PROFILE,))
                for profile in (tagged,) if isinstance(tagged, str) else tagged:
                    names.setdefault(profile, []).append(key)
        else:
            for profile, keys in declared.items():
                listed = names.setdefault(profile, [])
                for key in keys:
                    if key not in relations:
                        raise ValueError(
                            f"profile {profile!r}: {self.entity_name} has no relationship {key!r}"
                        )
                    listed.append(key)
        for profile in self._lock_profiles:
            names.setdefault(profile, list(names[DEFAULT_PROFILE]))
        return {
            profile: [selectinload(getattr(self.model, key)) for key in keys] + [raiseload("*")]
            for profile, keys in names.items()
        }

    def _values(self, data: Any, operation: str, *, partial: bool) -> dict[str, Any]:
        values = _as_mapping(data, partial=partial)
        if values is None:
            raise TypeError(
                f"{operation} {self.entity_name}: expected a mapping, a dataclass, a pydantic "
                f"model, a msgspec struct or a {self.entity_name}, got {type(data).__name__}"
            )
        unknown = sorted(set(values) - self._attributes)
        if unknown:
            raise ValueError(
                f"{operation} {self.entity_name}: unknown field(s) {', '.join(unknown)}; "
                f"fields: {', '.join(sorted(self._attributes))}"
            )
        return values


def _as_mapping(data: Any, *, partial: bool) -> dict[str, Any] | None:
    if isinstance(data, Mapping):
        return dict(data)
    model_dump = getattr(data, "model_dump", None)
    if callable(model_dump) and hasattr(type(data), "model_fields"):
        return cast(dict[str, Any], model_dump(exclude_unset=partial))
    struct_fields = getattr(type(data), "__struct_fields__", None)
    if struct_fields is not None:
        values = {name: getattr(data, name) for name in struct_fields}
        # msgspec.UNSET marks a field the payload left out.
        return {k: v for k, v in values.items() if type(v).__name__ != "UnsetType"}
    if dataclasses.is_dataclass(data) and not isinstance(data, type):
        return {f.name: getattr(data, f.name) for f in dataclasses.fields(data)}
    return None
