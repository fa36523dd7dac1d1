"""The composition root: a FastAPI application serving REST interfaces.

::

    executor = RuntimeExecutor(compiler, uow_factory=..., metrics=PrometheusMetricsAdapter())
    executor.prepare_all([PlaceOrder, GetOrder])
    app = create_fastapi_app(
        executor,
        interfaces=[OrderApi],
        use_case_factory=lambda cls: cls(services),
        middleware=[TraceIdMiddleware, PrometheusMiddleware],
        metrics_path="/metrics",
        title="Shop",
    )

Each route gets one handler made at startup. Per request it copies the path
values into ``params`` (strings: the executor converts them to the types
``execute`` declares, a value that does not convert is a 400), reads the
JSON body as ``payload`` only when the use case has an ``Input()`` (an empty
body is ``{}``), builds the use case, and awaits
``executor.execute(..., read_only=True)`` for ``GET`` routes. No dependency
injection runs per request. Errors become the bodies described in
:mod:`loom.rest.errors`; an unexpected one is logged with its traceback
(``loom.rest`` logger) and answered with a bare 500.
"""

from __future__ import annotations

import inspect
import typing
from collections.abc import Callable, Coroutine, Sequence
from typing import Any

import msgspec
from fastapi import FastAPI
from fastapi.routing import APIRoute
from starlette.middleware import Middleware
from starlette.requests import ClientDisconnect, Request
from starlette.responses import Response

from loom.core.engine.executor import RuntimeExecutor
from loom.core.logger import LoggerPort
from loom.core.logger.port import get_logger
from loom.core.use_case.use_case import UseCase
from loom.rest.compiler import CompiledRoute, PreparedPlans, RestInterfaceCompiler
from loom.rest.errors import HttpErrorMapper
from loom.rest.fastapi.response import MsgspecJSONResponse
from loom.rest.model import RestApiDefaults, RestInterface

UseCaseFactory = Callable[[type[Any]], UseCase[Any, Any]]


class LoomRoute(APIRoute):
    """A FastAPI route whose endpoint is the request handler itself.

    The route is documented in the OpenAPI schema like any other, but a
    request goes straight to the handler made at startup: FastAPI's
    per-request dependency solving and response validation do not run (the
    handler takes the raw request and returns a finished response).
    """

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler: Callable[[Request], Coroutine[Any, Any, Response]] = self.endpoint
        return handler


def create_fastapi_app(
    executor: RuntimeExecutor,
    interfaces: Sequence[type[RestInterface[Any]]],
    *,
    use_case_factory: UseCaseFactory | None = None,
    middleware: Sequence[Any] = (),
    defaults: RestApiDefaults | None = None,
    error_mapper: HttpErrorMapper | None = None,
    metrics_path: str | None = None,
    metrics_registry: Any = None,
    logger: LoggerPort | None = None,
    **fastapi_kwargs: Any,
) -> FastAPI:
    """A FastAPI application serving ``interfaces`` with ``executor``.

    Every route's use case must be prepared on ``executor`` beforehand; the
    interfaces are validated here (:class:`~loom.rest.compiler.InterfaceCompilationError`
    before anything is served). ``use_case_factory`` builds a use case per
    request (default: the class called without arguments). ``middleware``
    (classes, or Starlette ``Middleware(cls, **options)`` to pass options) are
    added outermost first. ``metrics_path`` serves
    ``prometheus_client``'s text format for ``metrics_registry`` (the
    global registry by default; needs the ``prometheus`` extra). The other
    keyword arguments go to ``FastAPI(...)``.
    """
    interface_compiler = RestInterfaceCompiler(PreparedPlans(executor), defaults=defaults)
    routes = [route for iface in interfaces for route in interface_compiler.compile(iface)]
    app = FastAPI(**fastapi_kwargs)
    for item in reversed(middleware):
        if isinstance(item, Middleware):
            app.add_middleware(item.cls, *item.args, **item.kwargs)
        else:
            app.add_middleware(item)
    mapper = error_mapper if error_mapper is not None else HttpErrorMapper()
    log = logger if logger is not None else get_logger("loom.rest")
    factory: UseCaseFactory = use_case_factory if use_case_factory is not None else _call_class
    for compiled in routes:
        _add_route(app, compiled, executor, factory, mapper, log)
    if metrics_path is not None:
        _add_metrics_route(app, metrics_path, metrics_registry)
    return app


def _call_class(use_case_type: type[Any]) -> UseCase[Any, Any]:
    instance: UseCase[Any, Any] = use_case_type()
    return instance


def _add_route(
    app: FastAPI,
    compiled: CompiledRoute,
    executor: RuntimeExecutor,
    factory: UseCaseFactory,
    mapper: HttpErrorMapper,
    log: LoggerPort,
) -> None:
    route = compiled.route
    use_case_type = route.use_case
    has_input = executor.prepare(use_case_type).plan.input_binding is not None
    read_only = compiled.read_only
    status_code = route.status_code
    execute_params = {name for name, _ in compiled.execute_param_types}
    wants_profile = "profile" in execute_params
    profile_default = compiled.effective_profile_default
    expose_profile = compiled.effective_expose_profile
    allowed_profiles = compiled.effective_allowed_profiles
    # The route's own callable: the class prepared once, no lookup per request.
    execute = executor.bound(use_case_type)

    def failure(error: BaseException) -> Response:
        status, detail = mapper.describe(error)
        if status >= 500:
            log.exception(
                "http_request_failed",
                use_case=use_case_type.__qualname__,
                route=compiled.full_path,
                error_type=type(error).__name__,
            )
        return MsgspecJSONResponse({"detail": detail}, status_code=status)

    def invalid(status: int, message: str) -> Response:
        detail = mapper.validation_detail(message)
        if status == 400:
            detail["code"] = "bad_request"
            del detail["violations"]
        return MsgspecJSONResponse({"detail": detail}, status_code=status)

    async def handle(request: Request) -> Response:
        params: dict[str, Any] = dict(request.path_params)
        if wants_profile:
            requested = request.query_params.get("profile")
            if requested is None:
                params["profile"] = profile_default
            elif not expose_profile:
                return invalid(400, "query parameter 'profile' is not accepted on this route")
            elif allowed_profiles and requested not in allowed_profiles:
                return invalid(
                    400,
                    f"profile {requested!r} is not allowed here"
                    f" (allowed: {', '.join(allowed_profiles)})",
                )
            else:
                params["profile"] = requested
        payload: dict[str, Any] | None = None
        if has_input:
            try:
                body = await request.body()
            except ClientDisconnect:
                # Nothing ran; nobody is left to answer (counted as 499 by the metrics).
                return Response(status_code=499)
            if body:
                try:
                    decoded = msgspec.json.decode(body)
                except msgspec.DecodeError as error:
                    return invalid(422, f"the request body is not valid JSON: {error}")
                if not isinstance(decoded, dict):
                    return invalid(422, "the request body must be a JSON object")
                payload = decoded
            else:
                payload = {}
        try:
            result = await execute(
                factory(use_case_type), params=params, payload=payload, read_only=read_only
            )
        except Exception as error:
            return failure(error)
        return MsgspecJSONResponse(result, status_code=status_code)

    handle.__name__ = f"handle_{use_case_type.__name__}"
    summary, description = _docs(compiled)
    app.router.add_api_route(
        compiled.full_path,
        handle,
        methods=[route.method.upper()],
        status_code=status_code,
        summary=summary,
        description=description,
        tags=list(compiled.interface_tags) or None,
        openapi_extra=_openapi_extra(compiled, has_input),
        route_class_override=LoomRoute,
    )


def _docs(compiled: CompiledRoute) -> tuple[str | None, str | None]:
    route = compiled.route
    if route.summary or route.description:
        return route.summary or None, route.description or None
    lines = [line for line in (inspect.getdoc(route.use_case) or "").splitlines() if line]
    if not lines:
        return None, None
    return lines[0], "\n".join(lines[1:]) or None


_JSON_TYPES: dict[Any, str] = {int: "integer", float: "number", bool: "boolean", str: "string"}


def _openapi_extra(compiled: CompiledRoute, has_input: bool) -> dict[str, Any]:
    types = dict(compiled.execute_param_types)
    parameters = []
    for name in compiled.path_params:
        annotation = types.get(name, str)
        if typing.get_origin(annotation) is typing.Annotated:
            annotation = typing.get_args(annotation)[0]
        schema_type = _JSON_TYPES.get(annotation, "string")
        parameters.append(
            {"name": name, "in": "path", "required": True, "schema": {"type": schema_type}}
        )
    extra: dict[str, Any] = {"parameters": parameters}
    if has_input:
        extra["requestBody"] = {
            "required": True,
            "content": {"application/json": {"schema": {"type": "object"}}},
        }
    return extra


def _add_metrics_route(app: FastAPI, path: str, registry: Any) -> None:
    from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, generate_latest

    target = REGISTRY if registry is None else registry

    async def metrics(request: Request) -> Response:
        return Response(generate_latest(target), media_type=CONTENT_TYPE_LATEST)

    app.add_route(path, metrics, methods=["GET"], include_in_schema=False)
