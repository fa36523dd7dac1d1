"""Use cases over HTTP (the ``rest`` extra: FastAPI, uvicorn, msgspec).

Declarations (:mod:`loom.rest.model`) are validated at startup by
:class:`RestInterfaceCompiler` and served by
:func:`loom.rest.fastapi.app.create_fastapi_app`.
"""

try:
    import fastapi  # noqa: F401
    import msgspec  # noqa: F401
except ImportError as error:  # pragma: no cover - depends on the installation
    from loom.install import missing_extra

    raise ImportError(missing_extra("loom.rest", "FastAPI, uvicorn and msgspec", "rest")) from error

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
