"""How use cases are exposed over HTTP: declarations only, no framework code.

An application declares one :class:`RestInterface` subclass per resource::

    class OrderApi(RestInterface[Order]):
        prefix = "/orders"
        tags = ("Orders",)
        routes = (
            RestRoute(use_case=PlaceOrder, method="POST", path="/", status_code=201),
            RestRoute(use_case=GetOrder, method="GET", path="/{order_id}"),
        )

:class:`~loom.rest.compiler.RestInterfaceCompiler` checks the declarations
once, at startup; :func:`~loom.rest.fastapi.app.create_fastapi_app` serves
them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from loom.core.repository.abc.query import PaginationMode
from loom.core.use_case.use_case import UseCase

T = TypeVar("T")

__all__ = ["PaginationMode", "RestApiDefaults", "RestInterface", "RestRoute"]


@dataclass(frozen=True)
class RestRoute:
    """One endpoint: ``method`` on ``path`` (relative to the interface's
    prefix, ``{name}`` segments become the use case's ``params``) runs
    ``use_case``.

    The optional fields override the interface's and the global defaults:
    ``status_code`` of a success, the pagination mode of list routes (and
    whether ``?pagination=`` may change it), the query profile used by
    default, the profiles a caller may ask for and whether ``?profile=`` is
    accepted at all. ``summary``/``description`` go to the OpenAPI document
    (the use case's docstring otherwise).
    """

    use_case: type[UseCase[Any, Any]]
    method: str
    path: str
    summary: str = ""
    description: str = ""
    status_code: int = 200
    pagination_mode: PaginationMode | None = None
    allow_pagination_override: bool | None = None
    profile_default: str = ""
    allowed_profiles: tuple[str, ...] = ()
    expose_profile: bool = False


class RestInterface(Generic[T]):
    """A group of routes under one ``prefix`` (required, starting with ``/``).

    ``T`` names the resource's model, for documentation. The class
    attributes other than ``prefix`` and ``routes`` are defaults for every
    route of the interface. ``auto``/``include`` are accepted for
    compatibility with loom-kernel declarations, but routes are never made up:
    an interface lists the routes it serves.
    """

    prefix: str = ""
    tags: tuple[str, ...] = ()
    auto: bool = False
    include: tuple[str, ...] = ()
    routes: tuple[RestRoute, ...] = ()
    pagination_mode: PaginationMode | None = None
    allow_pagination_override: bool | None = None
    profile_default: str = ""
    allowed_profiles: tuple[str, ...] = ()
    expose_profile: bool = False


@dataclass(frozen=True)
class RestApiDefaults:
    """Application-wide defaults, used where neither the route nor its interface
    says otherwise."""

    pagination_mode: PaginationMode = PaginationMode.OFFSET
    allow_pagination_override: bool = True
    profile_default: str = "default"
    allowed_profiles: tuple[str, ...] = ()
