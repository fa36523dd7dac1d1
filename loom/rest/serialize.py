"""Results to JSON: what :class:`~loom.rest.fastapi.response.MsgspecJSONResponse`
and :class:`~loom.rest.rest_adapter.LoomRestAdapter` share."""

from __future__ import annotations

from typing import Any

import msgspec
import pydantic

from loom.core.repository.abc.query import CursorResult, PageResult


def page_envelope(result: PageResult[Any] | CursorResult[Any]) -> dict[str, Any]:
    """A page of results under loom-kernel's camel-case keys (``totalCount``,
    ``hasNext``, ``nextCursor``), items as JSON-ready values."""
    items = [to_builtins(item) for item in result.items]
    if isinstance(result, PageResult):
        return {
            "items": items,
            "totalCount": result.total_count,
            "page": result.page,
            "limit": result.limit,
            "hasNext": result.has_next,
        }
    return {"items": items, "nextCursor": result.next_cursor, "hasNext": result.has_next}


def encode_fallback(value: Any) -> Any:
    """``msgspec``'s ``enc_hook``: pydantic models by their JSON form (aliases
    used), anything else msgspec does not know by ``str``."""
    if isinstance(value, pydantic.BaseModel):
        return value.model_dump(mode="json", by_alias=True)
    return str(value)


_encoder = msgspec.json.Encoder(enc_hook=encode_fallback)


def encode_json(content: Any) -> bytes:
    """``content`` as JSON bytes (pages in their camel-case envelope)."""
    if isinstance(content, (PageResult, CursorResult)):
        content = page_envelope(content)
    return _encoder.encode(content)


def to_builtins(result: Any) -> Any:
    """Structured results (msgspec structs, pydantic models, pages) as dicts and lists,
    under their serialised names (a camel-case ``rename`` or alias applies);
    anything else unchanged."""
    if isinstance(result, msgspec.Struct):
        return msgspec.to_builtins(result, enc_hook=encode_fallback)
    if isinstance(result, pydantic.BaseModel):
        return result.model_dump(mode="json", by_alias=True)
    if isinstance(result, (PageResult, CursorResult)):
        return page_envelope(result)
    return result
