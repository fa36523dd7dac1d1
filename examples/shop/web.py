"""The shop over HTTP: its REST interfaces and the application factory.

``python -m examples.shop.serve`` (``make serve``) runs it with uvicorn.

=======  =============================================  ==================
method   path                                           use case
=======  =============================================  ==================
POST     /users                                         RegisterUser (201)
GET      /users/{user_id}                               GetUser
GET      /users/by-email/{email}                        FindUserByEmail
POST     /users/by-email/{email}/block                  BlockUser
GET      /users/{user_id}/orders                        OrderHistory
POST     /users/{user_id}/orders                        PlaceOrder (201)
POST     /users/{requested_by}/orders/{order_id}/cancel CancelOrder
POST     /products                                      AddProduct (201)
POST     /products/{product_id}/reservations            ReserveStock
POST     /deliveries                                    RestockProducts
GET      /metrics                                       Prometheus
=======  =============================================  ==================
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from starlette.middleware import Middleware

from examples.shop.domain import Order, Product, User
from examples.shop.usecases import (
    AddProduct,
    BlockUser,
    CancelOrder,
    FindUserByEmail,
    GetUser,
    OrderHistory,
    PlaceOrder,
    RegisterUser,
    ReserveStock,
    RestockProducts,
)
from loom.core.engine import RuntimeExecutor
from loom.core.use_case import UseCase
from loom.prometheus import PrometheusMiddleware
from loom.rest import RestInterface, RestRoute, TraceIdMiddleware
from loom.rest.fastapi.app import UseCaseFactory, create_fastapi_app


class UserApi(RestInterface[User]):
    prefix = "/users"
    tags = ("Users",)
    routes = (
        RestRoute(use_case=RegisterUser, method="POST", path="", status_code=201),
        RestRoute(use_case=GetUser, method="GET", path="/{user_id}"),
        RestRoute(use_case=FindUserByEmail, method="GET", path="/by-email/{email}"),
        RestRoute(use_case=BlockUser, method="POST", path="/by-email/{email}/block"),
    )


class OrderApi(RestInterface[Order]):
    prefix = "/users"
    tags = ("Orders",)
    routes = (
        RestRoute(use_case=OrderHistory, method="GET", path="/{user_id}/orders"),
        RestRoute(use_case=PlaceOrder, method="POST", path="/{user_id}/orders", status_code=201),
        RestRoute(
            use_case=CancelOrder, method="POST", path="/{requested_by}/orders/{order_id}/cancel"
        ),
    )


class ProductApi(RestInterface[Product]):
    prefix = "/products"
    tags = ("Products",)
    routes = (
        RestRoute(use_case=AddProduct, method="POST", path="", status_code=201),
        RestRoute(use_case=ReserveStock, method="POST", path="/{product_id}/reservations"),
    )


class DeliveryApi(RestInterface[Product]):
    prefix = "/deliveries"
    tags = ("Products",)
    routes = (RestRoute(use_case=RestockProducts, method="POST", path=""),)


INTERFACES: tuple[type[RestInterface[Any]], ...] = (UserApi, OrderApi, ProductApi, DeliveryApi)

USE_CASES: tuple[type[UseCase[Any, Any]], ...] = tuple(
    {route.use_case: None for iface in INTERFACES for route in iface.routes}
)


def create_app(
    executor: RuntimeExecutor,
    use_case_factory: UseCaseFactory,
    *,
    metrics_registry: Any = None,
    **fastapi_kwargs: Any,
) -> FastAPI:
    """The shop's FastAPI application on ``executor`` (its use cases are prepared here).

    ``metrics_registry`` is the ``prometheus_client`` registry served on
    ``/metrics`` and counted into by the HTTP middleware (the global one by
    default); give the executor's ``PrometheusMetricsAdapter`` the same one.
    """
    executor.prepare_all(USE_CASES)
    return create_fastapi_app(
        executor,
        interfaces=INTERFACES,
        use_case_factory=use_case_factory,
        middleware=[TraceIdMiddleware, Middleware(PrometheusMiddleware, registry=metrics_registry)],
        metrics_path="/metrics",
        metrics_registry=metrics_registry,
        title="loom shop",
        **fastapi_kwargs,
    )
