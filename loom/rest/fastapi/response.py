"""A Starlette response that writes its content with ``msgspec.json``."""

from __future__ import annotations

from starlette.responses import Response

from loom.rest.serialize import encode_json


class MsgspecJSONResponse(Response):
    """JSON in one encoding pass: plain values, dataclasses, enums, msgspec
    structs natively, pydantic models by their JSON form (with aliases).

    Use it as ``JSONResponse``: ``MsgspecJSONResponse(content, status_code=201)``.
    """

    media_type = "application/json"

    def render(self, content: object) -> bytes:
        return encode_json(content)
