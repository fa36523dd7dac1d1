"""Results to JSON: what :class:`~loom.rest.fastapi.response.MsgspecJSONResponse`
and :class:`~loom.rest.rest_adapter.LoomRestAdapter` share."""

from __future__ import annotations

from typing import Any

import msgspec
import pydantic


def encode_fallback(value: Any) -> Any:
    """``msgspec``'s ``enc_hook``: pydantic models by their JSON form (aliases
    used), anything else msgspec does not know by ``str``."""
    if isinstance(value, pydantic.BaseModel):
        return value.model_dump(mode="json", by_alias=True)
    return str(value)


_encoder = msgspec.json.Encoder(enc_hook=encode_fallback)
encode_json = _encoder.encode


def to_builtins(result: Any) -> Any:
    """Structured results (msgspec structs, pydantic models) as dicts and lists,
    under their serialised names (a camel-case ``rename`` or alias applies);
    anything else unchanged."""
    if isinstance(result, msgspec.Struct):
        return msgspec.to_builtins(result, enc_hook=encode_fallback)
    if isinstance(result, pydantic.BaseModel):
        return result.model_dump(mode="json", by_alias=True)
    return result
