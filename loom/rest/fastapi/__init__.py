"""The FastAPI binding of loom's REST layer (the ``rest`` extra)."""

from loom.rest.fastapi.app import create_fastapi_app
from loom.rest.fastapi.response import MsgspecJSONResponse

__all__ = ["MsgspecJSONResponse", "create_fastapi_app"]
