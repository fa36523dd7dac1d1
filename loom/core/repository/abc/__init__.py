"""Backend-neutral query contract shared by repositories and transports."""

from loom.core.repository.abc.query import (
    CursorResult,
    FilterGroup,
    FilterOp,
    FilterParams,
    FilterSpec,
    PageParams,
    PageResult,
    PaginationMode,
    QuerySpec,
    SortSpec,
    build_page_result,
)

__all__ = [
    "CursorResult",
    "FilterGroup",
    "FilterOp",
    "FilterParams",
    "FilterSpec",
    "PageParams",
    "PageResult",
    "PaginationMode",
    "QuerySpec",
    "SortSpec",
    "build_page_result",
]
