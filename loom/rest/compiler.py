"""Startup validation of :class:`~loom.rest.model.RestInterface` declarations.

Every problem a declaration can have is found here, before the server takes
a request: no prefix or one not starting with ``/``, no routes, an unknown
HTTP method, a path segment naming no parameter of ``execute``, a use case
the executor has no plan for, the same method and path twice, a profile
exposed with no allowed profiles. Request handling then only reads the
resolved :class:`CompiledRoute`.
"""

from __future__ import annotations

import inspect
import re
import typing
from dataclasses import dataclass
from typing import Any, Protocol

from loom.core.engine.metrics import MetricsAdapter
from loom.core.engine.plan import ExecutionPlan
from loom.rest.model import PaginationMode, RestApiDefaults, RestInterface, RestRoute

HTTP_METHODS = frozenset({"GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"})

_PATH_PARAM = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)(?::[^}]*)?\}")


class PlanSource(Protocol):
    """Where plans are looked up: a :class:`~loom.core.engine.UseCaseCompiler`,
    or :class:`PreparedPlans` (the classes an executor prepared)."""

    def get_plan(self, use_case_type: type[Any]) -> ExecutionPlan | None: ...


class PreparedPlans:
    """The plans of the classes ``executor`` has prepared (a :class:`PlanSource`)."""

    def __init__(self, executor: Any) -> None:
        self._prepared = executor.prepared_classes()

    def get_plan(self, use_case_type: type[Any]) -> ExecutionPlan | None:
        prepared = self._prepared.get(use_case_type)
        return None if prepared is None else prepared.plan


class InterfaceCompilationError(Exception):
    """A :class:`~loom.rest.model.RestInterface` declaration is invalid; the
    message names the interface and the route."""


@dataclass(frozen=True)
class CompiledRoute:
    """A route with every policy resolved (route, then interface, then global).

    ``read_only`` is ``True`` for ``GET`` routes: the executor runs them
    without a unit of work. ``path_params`` are the ``{name}`` segments of
    ``full_path`` in order, ``execute_param_types`` the annotations of
    ``execute``'s parameters.
    """

    interface_name: str
    route: RestRoute
    full_path: str
    effective_pagination_mode: PaginationMode
    effective_profile_default: str
    effective_allowed_profiles: tuple[str, ...]
    effective_expose_profile: bool
    effective_allow_pagination_override: bool
    read_only: bool = False
    interface_tags: tuple[str, ...] = ()
    execute_param_types: tuple[tuple[str, Any], ...] = ()
    path_params: tuple[str, ...] = ()


class RestInterfaceCompiler:
    """Validates interfaces against the plans of ``use_case_compiler`` (any
    :class:`PlanSource`).

    A route's use case must have been compiled (``executor.prepare(...)`` or
    ``compiler.compile(...)``) first. Results are cached per interface class.
    ``metrics`` is accepted for loom-kernel compatibility; HTTP metrics come
    from :class:`~loom.prometheus.PrometheusMiddleware`.
    """

    def __init__(
        self,
        use_case_compiler: PlanSource,
        defaults: RestApiDefaults | None = None,
        metrics: MetricsAdapter | None = None,
    ) -> None:
        self._use_cases = use_case_compiler
        self._defaults = defaults if defaults is not None else RestApiDefaults()
        self._metrics = metrics
        self._compiled: dict[type[RestInterface[Any]], list[CompiledRoute]] = {}

    def compile(self, interface: type[RestInterface[Any]]) -> list[CompiledRoute]:
        """The routes of ``interface``, in declaration order.

        Raises :class:`InterfaceCompilationError` on the first problem found.
        """
        cached = self._compiled.get(interface)
        if cached is None:
            cached = self._compiled[interface] = self._compile(interface)
        return cached

    def _compile(self, interface: type[RestInterface[Any]]) -> list[CompiledRoute]:
        name = interface.__qualname__
        prefix = interface.prefix
        if not isinstance(prefix, str) or not prefix:
            raise InterfaceCompilationError(
                f"{name}: 'prefix' must be a non-empty path such as '/users'"
            )
        if not prefix.startswith("/") or "{" in prefix or "//" in prefix or " " in prefix:
            raise InterfaceCompilationError(
                f"{name}: prefix {prefix!r} must start with '/', without parameters,"
                " spaces or empty segments (e.g. '/users')"
            )
        if not interface.routes:
            raise InterfaceCompilationError(
                f"{name}: 'routes' is empty; declare at least one RestRoute"
            )
        base = prefix.rstrip("/")
        seen: set[tuple[str, str]] = set()
        compiled: list[CompiledRoute] = []
        for route in interface.routes:
            method = (route.method or "").upper()
            where = f"{name}: route ({method or '?'}, {route.path!r})"
            if not method:
                raise InterfaceCompilationError(
                    f"{where} for {route.use_case.__qualname__} has no 'method'"
                )
            if method not in HTTP_METHODS:
                raise InterfaceCompilationError(
                    f"{where}: unknown HTTP method {route.method!r}"
                    f" (one of {', '.join(sorted(HTTP_METHODS))})"
                )
            if route.path and not route.path.startswith("/"):
                raise InterfaceCompilationError(f"{where}: the path must start with '/'")
            if self._use_cases.get_plan(route.use_case) is None:
                raise InterfaceCompilationError(
                    f"{where} uses {route.use_case.__qualname__}, which has not been"
                    " compiled: prepare it on the executor (executor.prepare(...)) first"
                )
            key = (method, route.path)
            if key in seen:
                raise InterfaceCompilationError(
                    f"{where}: duplicate route; each (method, path) may appear once"
                )
            seen.add(key)
            param_types = _execute_param_types(route.use_case)
            path_params = tuple(_PATH_PARAM.findall(route.path))
            if not _accepts_any_keyword(route.use_case):
                known = {param for param, _ in param_types}
                for param in path_params:
                    if param not in known:
                        raise InterfaceCompilationError(
                            f"{where}: path parameter {{{param}}} is not a parameter of"
                            f" {route.use_case.__qualname__}.execute"
                        )
            expose = route.expose_profile or interface.expose_profile
            allowed = (
                route.allowed_profiles
                or interface.allowed_profiles
                or self._defaults.allowed_profiles
            )
            if expose and not allowed:
                raise InterfaceCompilationError(
                    f"{where} has profile exposure enabled (expose_profile=True) but no"
                    " allowed_profiles; declare at least one allowed profile"
                )
            compiled.append(
                CompiledRoute(
                    interface_name=name,
                    route=route,
                    full_path=f"{base}{route.path}" if route.path else base or "/",
                    effective_pagination_mode=(
                        route.pagination_mode
                        or interface.pagination_mode
                        or self._defaults.pagination_mode
                    ),
                    effective_profile_default=(
                        route.profile_default
                        or interface.profile_default
                        or self._defaults.profile_default
                    ),
                    effective_allowed_profiles=allowed,
                    effective_expose_profile=expose,
                    effective_allow_pagination_override=_first_set(
                        route.allow_pagination_override,
                        interface.allow_pagination_override,
                        self._defaults.allow_pagination_override,
                    ),
                    read_only=method == "GET",
                    interface_tags=tuple(interface.tags),
                    execute_param_types=param_types,
                    path_params=path_params,
                )
            )
        return compiled


def _first_set(*values: bool | None) -> bool:
    for value in values:
        if value is not None:
            return value
    return False


def _execute_param_types(use_case: type[Any]) -> tuple[tuple[str, Any], ...]:
    execute = use_case.execute
    try:
        hints = typing.get_type_hints(execute, include_extras=True)
    except Exception:  # unresolvable annotations: keep the raw ones
        hints = {}
    skip = (inspect.Parameter.VAR_POSITIONAL, inspect.Parameter.VAR_KEYWORD)
    return tuple(
        (name, hints.get(name, parameter.annotation))
        for name, parameter in inspect.signature(execute).parameters.items()
        if name != "self" and parameter.kind not in skip
    )


def _accepts_any_keyword(use_case: type[Any]) -> bool:
    return any(
        parameter.kind is inspect.Parameter.VAR_KEYWORD
        for parameter in inspect.signature(use_case.execute).parameters.values()
    )
