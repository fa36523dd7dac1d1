"""Value objects describing a list query and its result page.

They are frozen dataclasses: positional or keyword construction, equality by
value, hashable when their contents are, and serializable by any library
that understands dataclasses (``dataclasses.asdict``, msgspec, pydantic).
Names, fields, defaults and validation follow loom-kernel 0.12.3.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Generic, Literal, TypeVar

ItemT = TypeVar("ItemT")

MAX_LIMIT = 1000
"""The largest page a query may ask for."""


class PaginationMode(StrEnum):
    """How a list query pages through its results."""

    OFFSET = "offset"
    """``page`` and ``limit``; the result carries the total count."""
    CURSOR = "cursor"
    """Keyset paging: each page hands back an opaque cursor for the next."""


class FilterOp(StrEnum):
    """The comparison a :class:`FilterSpec` applies to its field."""

    EQ = "eq"
    NE = "ne"
    GT = "gt"
    GTE = "gte"
    LT = "lt"
    LTE = "lte"
    IN = "in"
    LIKE = "like"
    ILIKE = "ilike"
    IS_NULL = "is_null"
    EXISTS = "exists"
    """The related collection named by ``field`` has at least one row."""
    NOT_EXISTS = "not_exists"
    """The related collection named by ``field`` is empty."""


@dataclass(frozen=True, slots=True)
class FilterSpec:
    """``field op value``; ``field`` may be ``"relation.column"`` (one level deep).

    ``value`` is ignored by ``IS_NULL``, ``EXISTS`` and ``NOT_EXISTS``; ``IN``
    takes a list or tuple.
    """

    field: str
    op: FilterOp
    value: Any = None


@dataclass(frozen=True, slots=True)
class FilterGroup:
    """Filters combined with ``"AND"`` (the default) or ``"OR"``."""

    filters: tuple[FilterSpec, ...]
    op: Literal["AND", "OR"] = "AND"


@dataclass(frozen=True, slots=True)
class SortSpec:
    """Order by ``field``, ``"ASC"`` (the default) or ``"DESC"``."""

    field: str
    direction: Literal["ASC", "DESC"] = "ASC"


@dataclass(frozen=True, slots=True)
class QuerySpec:
    """A whole list query: filters, sort, and how to page.

    ``page`` applies to ``OFFSET`` paging, ``cursor`` (a token a previous
    :class:`CursorResult` returned) to ``CURSOR`` paging. Repositories
    validate ``limit`` (1 to 1000) and ``page`` (from 1) when they run it.
    """

    filters: FilterGroup | None = None
    sort: tuple[SortSpec, ...] = ()
    pagination: PaginationMode = PaginationMode.OFFSET
    limit: int = 50
    page: int = 1
    cursor: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class PageParams:
    """A 1-based page of at most ``limit`` items (1 to 1000)."""

    page: int = 1
    limit: int = 50

    def __post_init__(self) -> None:
        if self.page < 1:
            raise ValueError(f"page must be >= 1, got {self.page}")
        if not 1 <= self.limit <= MAX_LIMIT:
            raise ValueError(f"limit must be in [1, {MAX_LIMIT}], got {self.limit}")

    @property
    def offset(self) -> int:
        """How many rows come before this page."""
        return (self.page - 1) * self.limit


@dataclass(frozen=True, slots=True, kw_only=True)
class FilterParams:
    """Equality filters as ``{column: value}`` (the flat form older list calls take)."""

    filters: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True, kw_only=True)
class PageResult(Generic[ItemT]):
    """One page of an ``OFFSET`` query and the number of matches across all pages."""

    items: tuple[ItemT, ...]
    total_count: int
    page: int
    limit: int
    has_next: bool


@dataclass(frozen=True, slots=True, kw_only=True)
class CursorResult(Generic[ItemT]):
    """One page of a ``CURSOR`` query; ``next_cursor`` is ``None`` on the last page."""

    items: tuple[ItemT, ...]
    next_cursor: str | None
    has_next: bool


def build_page_result(
    items: list[ItemT], total_count: int, page_params: PageParams
) -> PageResult[ItemT]:
    """Wrap one page of ``items`` with its paging facts."""
    return PageResult(
        items=tuple(items),
        total_count=total_count,
        page=page_params.page,
        limit=page_params.limit,
        has_next=page_params.offset + len(items) < total_count,
    )
