"""Use cases over HTTP (the ``rest`` extra: FastAPI, uvicorn, msgspec).

Declarations (:mod:`loom.rest.model`) are validated at startup by
:class:`RestInterfaceCompiler` and served by
:func:`loom.rest.fastapi.app.create_fastapi_app`.
"""

from loom.rest.adapter import PydanticAdapter
from loom.rest.compiler import CompiledRoute, InterfaceCompilationError, RestInterfaceCompiler
from loom.rest.errors import HttpErrorMapper
from loom.rest.middleware import TraceIdMiddleware
from loom.rest.model import PaginationMode, RestApiDefaults, RestInterface, RestRoute
from loom.rest.rest_adapter import LoomRestAdapter

__all__ = [
    "CompiledRoute",
    "HttpErrorMapper",
    "InterfaceCompilationError",
    "LoomRestAdapter",
    "PaginationMode",
    "PydanticAdapter",
    "RestApiDefaults",
    "RestInterface",
    "RestInterfaceCompiler",
    "RestRoute",
    "TraceIdMiddleware",
]
