"""Compile a :class:`~loom.core.repository.abc.QuerySpec` into SQLAlchemy clauses.

Filters name a column of the model (``"price"``) or a column of a related
model (``"category.name"``, compiled as ``EXISTS`` over the relationship, so
a collection never multiplies the rows). Sorting names columns of the model;
the primary key is always the last sort key, so pages are stable.

Cursor paging is keyset paging over the sort keys, each in its own
direction: the cursor is an opaque, URL-safe token holding the sort keys'
values of the last item (and the names of those keys, so a cursor used with
another sort is rejected). Sort keys must not be NULL for cursor paging.
"""

from __future__ import annotations

import base64
import datetime
import decimal
import json
import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy import ColumnElement, and_, false, or_, true
from sqlalchemy.orm import InstrumentedAttribute, Mapper, RelationshipProperty

from loom.core.repository.abc import FilterGroup, FilterOp, FilterSpec, SortSpec


class FilterPathError(ValueError):
    """A filter or sort names a field the model does not have."""

    def __init__(self, path: str, model: type[Any], detail: str = "") -> None:
        super().__init__(
            f"Unknown filter field path: {path!r} for model {model.__name__}"
            + (f" ({detail})" if detail else "")
        )
        self.path = path


class UnsafeFilterError(ValueError):
    """A filter names a field outside the repository's ``allowed_filter_fields``."""

    def __init__(self, field: str) -> None:
        super().__init__(f"Filtering on field {field!r} is not allowed by this repository.")
        self.field = field


class InvalidCursorError(ValueError):
    """A cursor token that this query did not produce."""


_COMPARISONS = {
    FilterOp.EQ: lambda column, value: column == value,
    FilterOp.NE: lambda column, value: column != value,
    FilterOp.GT: lambda column, value: column > value,
    FilterOp.GTE: lambda column, value: column >= value,
    FilterOp.LT: lambda column, value: column < value,
    FilterOp.LTE: lambda column, value: column <= value,
}


class QueryCompiler:
    """Clauses for one mapped model; ``allowed`` restricts the filterable fields."""

    def __init__(self, model: type[Any], mapper: Mapper[Any], allowed: frozenset[str]) -> None:
        self.model = model
        self.mapper = mapper
        self.allowed = allowed
        (primary_key,) = mapper.primary_key
        self.primary_key = mapper.get_property_by_column(primary_key).key

    # -- filters -----------------------------------------------------------

    def where(self, group: FilterGroup) -> ColumnElement[bool]:
        if not isinstance(group, FilterGroup):
            raise TypeError(f"QuerySpec.filters must be a FilterGroup, got {type(group).__name__}")
        if group.op not in ("AND", "OR"):
            raise ValueError(f"FilterGroup.op must be 'AND' or 'OR', got {group.op!r}")
        clauses = [self._filter(spec) for spec in group.filters]
        if not clauses:
            return true()
        return or_(*clauses) if group.op == "OR" else and_(*clauses)

    def _filter(self, spec: FilterSpec) -> ColumnElement[bool]:
        if not isinstance(spec, FilterSpec):
            raise TypeError(f"FilterGroup.filters holds {type(spec).__name__}, not FilterSpec")
        op = FilterOp(spec.op)
        head, _, rest = spec.field.partition(".")
        if self.allowed and head not in self.allowed:
            raise UnsafeFilterError(head)
        prop = self.mapper.attrs.get(head)
        if prop is None:
            raise FilterPathError(spec.field, self.model)
        attribute: InstrumentedAttribute[Any] = getattr(self.model, head)
        if isinstance(prop, RelationshipProperty):
            related = prop.mapper.class_
            exists_over = attribute.any if prop.uselist else attribute.has
            if op in (FilterOp.EXISTS, FilterOp.NOT_EXISTS):
                if rest:
                    raise FilterPathError(spec.field, self.model, f"{op.value} takes a relation")
                clause: ColumnElement[bool] = exists_over()
                return ~clause if op is FilterOp.NOT_EXISTS else clause
            if not rest or "." in rest:
                raise FilterPathError(spec.field, self.model, "use 'relation.column'")
            column = _column(prop.mapper, related, rest, spec.field, self.model)
            return exists_over(_compare(column, op, spec.value, spec.field))
        if rest:
            raise FilterPathError(spec.field, self.model, f"{head!r} is not a relation")
        if op in (FilterOp.EXISTS, FilterOp.NOT_EXISTS):
            raise FilterPathError(spec.field, self.model, f"{op.value} takes a relation")
        return _compare(_column(self.mapper, self.model, head, spec.field), op, spec.value, head)

    # -- order ---------------------------------------------------------------

    def sort_keys(self, sort: Sequence[SortSpec]) -> list[tuple[str, Any, bool]]:
        """``(name, column, descending)`` per sort key, the primary key last."""
        keys: list[tuple[str, Any, bool]] = []
        for spec in sort:
            if not isinstance(spec, SortSpec):
                raise TypeError(f"QuerySpec.sort holds {type(spec).__name__}, not SortSpec")
            if spec.direction not in ("ASC", "DESC"):
                raise ValueError(
                    f"SortSpec.direction must be 'ASC' or 'DESC', got {spec.direction!r}"
                )
            if any(name == spec.field for name, _, _ in keys):
                continue
            column = _column(self.mapper, self.model, spec.field, spec.field)
            keys.append((spec.field, column, spec.direction == "DESC"))
        if all(name != self.primary_key for name, _, _ in keys):
            keys.append((self.primary_key, getattr(self.model, self.primary_key), False))
        return keys

    @staticmethod
    def order_by(keys: list[tuple[str, Any, bool]]) -> list[Any]:
        return [column.desc() if descending else column.asc() for _, column, descending in keys]

    # -- cursors -------------------------------------------------------------

    def encode_cursor(self, keys: list[tuple[str, Any, bool]], item: Any) -> str:
        values = []
        for name, _, _ in keys:
            value = getattr(item, name)
            if value is None:
                raise ValueError(
                    f"cursor paging over {self.model.__name__}.{name} met a NULL value; "
                    f"sort by columns that are never NULL"
                )
            values.append(_to_json(value))
        raw = json.dumps({"keys": [name for name, _, _ in keys], "values": values})
        return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")

    def after_cursor(self, keys: list[tuple[str, Any, bool]], token: str) -> ColumnElement[bool]:
        """The rows that come after the item ``token`` was made from, in this order."""
        try:
            raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
            decoded = json.loads(raw)
            names, values = decoded["keys"], decoded["values"]
        except (ValueError, TypeError, KeyError) as error:
            raise InvalidCursorError(f"Invalid cursor token: {token!r}") from error
        if names != [name for name, _, _ in keys] or len(values) != len(keys):
            raise InvalidCursorError(
                f"Invalid cursor token: made for sort keys {names!r}, "
                f"this query sorts by {[name for name, _, _ in keys]!r}"
            )
        typed = [_from_json(column, value) for (_, column, _), value in zip(keys, values)]
        branches: list[ColumnElement[bool]] = []
        for index, (_, column, descending) in enumerate(keys):
            equal = [keys[i][1] == typed[i] for i in range(index)]
            beyond = column < typed[index] if descending else column > typed[index]
            branches.append(and_(*equal, beyond))
        return or_(*branches) if branches else false()


def _column(
    mapper: Mapper[Any], model: type[Any], name: str, path: str, root: type[Any] | None = None
) -> Any:
    if name not in mapper.column_attrs:
        columns = ", ".join(sorted(mapper.column_attrs.keys()))
        raise FilterPathError(path, root or model, f"{model.__name__} columns: {columns}")
    return getattr(model, name)


def _compare(column: Any, op: FilterOp, value: Any, field: str) -> ColumnElement[bool]:
    if op is FilterOp.IS_NULL:
        result: ColumnElement[bool] = column.is_(None)
        return result
    if op is FilterOp.IN:
        if not isinstance(value, (list, tuple, set, frozenset)):
            raise ValueError(f"filter {field!r} in: the value must be a list, got {value!r}")
        result = column.in_(list(value))
        return result
    if op in (FilterOp.LIKE, FilterOp.ILIKE):
        if not isinstance(value, str):
            raise ValueError(f"filter {field!r} {op.value}: the pattern must be a string")
        result = column.like(value) if op is FilterOp.LIKE else column.ilike(value)
        return result
    result = _COMPARISONS[op](column, value)
    return result


def _to_json(value: Any) -> Any:
    if isinstance(value, (datetime.date, datetime.time)):
        return value.isoformat()
    if isinstance(value, (decimal.Decimal, uuid.UUID)):
        return str(value)
    if isinstance(value, (str, int, float, bool)):
        return value
    return str(value)


def _from_json(column: Any, value: Any) -> Any:
    try:
        kind = column.type.python_type
    except NotImplementedError:
        return value
    try:
        if kind is datetime.datetime:
            return datetime.datetime.fromisoformat(value)
        if kind is datetime.date:
            return datetime.date.fromisoformat(value)
        if kind is datetime.time:
            return datetime.time.fromisoformat(value)
        if kind in (decimal.Decimal, uuid.UUID):
            return kind(value)
    except (TypeError, ValueError) as error:
        raise InvalidCursorError(f"Invalid cursor token: bad value {value!r}") from error
    return value
