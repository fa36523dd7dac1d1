"""The bare FastAPI baseline for bench/http.py: the shop's load-test routes written by hand.

Each handler does the work the executor does for the same route, the way a
careful developer would without loom: convert the path values, decode the
body and build the same command (``from_payload``), open the same SQLAlchemy
unit of work for writes, call the same repositories, apply the same computes
and rules (every violation collected), run the nested reservation inside the
same transaction, send the confirmation after the commit, and answer with
the same status codes and JSON bodies. No middleware, no metrics, no logging.

``python -m bench.http_baseline`` serves it like ``examples.shop.serve``
(``PORT``, ``HOST``, ``DATABASE_URL``; one ``serving on`` line).
"""

from __future__ import annotations

import asyncio
import os
import sys
from functools import partial
from typing import Any

import msgspec
import uvicorn
from fastapi import FastAPI
from pydantic import ValidationError
from starlette.requests import Request
from starlette.responses import Response

from examples.shop.commands import AddProductCmd, PlaceOrderCmd, RegisterUserCmd, ReserveStockCmd
from examples.shop.domain import Email, Product, User, format_cents
from examples.shop.orm import SqlShop
from examples.shop.usecases import (
    apply_bulk_discount,
    customer_may_order,
    default_display_name,
    email_is_plausible,
    normalize_email,
    price_order,
    product_is_known,
    reservation_fits_stock,
    reservation_is_positive,
    stock_suffices,
    total_is_not_sent,
)
from loom.core.errors import LoomError, NotFound, RuleViolation, RuleViolations
from loom.core.repository.sqlalchemy import SQLAlchemyUnitOfWork
from loom.rest.fastapi.response import MsgspecJSONResponse

DEFAULT_DATABASE_URL = "sqlite+aiosqlite:///var/bench-baseline.db"


def _error(status: int, code: str, message: str, **extra: Any) -> Response:
    return MsgspecJSONResponse(
        {"detail": {"code": code, "message": message, "trace_id": None, **extra}},
        status_code=status,
    )


def _loom_error(error: LoomError) -> Response:
    status = {"not_found": 404, "forbidden": 403, "conflict": 409}.get(error.code, 422)
    extra: dict[str, Any] = {}
    if isinstance(error, NotFound):
        extra = {"entity": error.entity, "id": error.id}
    elif isinstance(error, RuleViolations):
        extra = {"violations": [{"field": v.field, "message": v.message} for v in error.violations]}
    return _error(status, error.code, error.message, **extra)


def _int_param(request: Request, name: str) -> int | Response:
    try:
        return int(request.path_params[name])
    except ValueError:
        return _error(400, "bad_parameter", f"invalid value for parameter {name!r}")


async def _payload(request: Request) -> dict[str, Any] | Response:
    body = await request.body()
    try:
        decoded = msgspec.json.decode(body) if body else {}
    except msgspec.DecodeError:
        return _error(422, "validation_error", "the request body is not valid JSON")
    if not isinstance(decoded, dict):
        return _error(422, "validation_error", "the request body must be a JSON object")
    return decoded


def _check(rules: list[Any], *args: Any) -> None:
    violations = []
    for rule in rules:
        try:
            rule(*args)
        except RuleViolation as violation:
            violations.append(violation)
    if violations:
        raise RuleViolations(violations)


def _quantity_is_positive(cmd: PlaceOrderCmd, fields_set: frozenset[str]) -> None:
    if cmd.quantity <= 0:
        raise RuleViolation("quantity", "must be at least 1")


def build(shop: SqlShop) -> FastAPI:
    app = FastAPI(title="shop, by hand")
    manager = shop.session_manager

    async def reserve(product_id: int, quantity: int) -> Product:
        cmd, fields_set = ReserveStockCmd.from_payload({"quantity": quantity})
        product = await shop.products.get_by_id(product_id)
        if product is None:
            raise NotFound("Product", id=product_id)
        _check([reservation_is_positive], cmd, fields_set)
        _check([partial(reservation_fits_stock, context={"product": product})], cmd, fields_set)
        changed: Product = await shop.products.change_stock(product_id, -cmd.quantity)
        return changed

    async def register(request: Request) -> Response:
        payload = await _payload(request)
        if isinstance(payload, Response):
            return payload
        try:
            cmd, fields_set = RegisterUserCmd.from_payload(payload)
        except ValidationError as error:
            return _error(422, "validation_error", str(error))
        cmd = default_display_name(normalize_email(cmd, fields_set), fields_set)
        try:
            async with SQLAlchemyUnitOfWork(manager):
                taken = await shop.users.exists_by("email", cmd.email)
                violations = []
                try:
                    email_is_plausible(cmd, fields_set)
                except RuleViolation as violation:
                    violations.append(violation)
                if taken:
                    violations.append(RuleViolation("email", f"{cmd.email} is already registered"))
                if violations:
                    raise RuleViolations(violations)
                user: User = await shop.users.add(email=cmd.email, name=cmd.name)
        except LoomError as error:
            return _loom_error(error)
        return MsgspecJSONResponse(user, status_code=201)

    async def block(request: Request) -> Response:
        email = request.path_params["email"]
        async with SQLAlchemyUnitOfWork(manager):
            user = await shop.users.get_by("email", email)
            if user is None or user.blocked:
                return MsgspecJSONResponse(False)
            await shop.users.update(User(user.id, user.email, user.name, True))
        return MsgspecJSONResponse(True)

    async def add_product(request: Request) -> Response:
        payload = await _payload(request)
        if isinstance(payload, Response):
            return payload
        try:
            cmd, _ = AddProductCmd.from_payload(payload)
        except ValidationError as error:
            return _error(422, "validation_error", str(error))
        cmd = cmd.model_copy(update={"sku": cmd.sku.upper()})
        try:
            async with SQLAlchemyUnitOfWork(manager):
                if await shop.products.exists_by("sku", cmd.sku):
                    raise RuleViolations([RuleViolation("sku", f"{cmd.sku} is already on sale")])
                product = await shop.products.add(
                    sku=cmd.sku, name=cmd.name, price_cents=cmd.price_cents, stock=cmd.stock
                )
        except LoomError as error:
            return _loom_error(error)
        return MsgspecJSONResponse(product, status_code=201)

    async def get_user(request: Request) -> Response:
        user_id = _int_param(request, "user_id")
        if isinstance(user_id, Response):
            return user_id
        user = await shop.users.get_by_id(user_id)
        if user is None:
            return _loom_error(NotFound("User", id=user_id))
        return MsgspecJSONResponse(user)

    async def history(request: Request) -> Response:
        user_id = _int_param(request, "user_id")
        if isinstance(user_id, Response):
            return user_id
        customer = await shop.users.get_by_id(user_id)
        if customer is None:
            return _loom_error(NotFound("User", id=user_id))
        orders = tuple(await shop.orders.list_by_user(user_id))
        spent = sum(o.total_cents for o in orders if o.status == "placed")
        return MsgspecJSONResponse({"customer": customer, "orders": orders, "spent_cents": spent})

    async def place_order(request: Request) -> Response:
        user_id = _int_param(request, "user_id")
        if isinstance(user_id, Response):
            return user_id
        payload = await _payload(request)
        if isinstance(payload, Response):
            return payload
        try:
            cmd, fields_set = PlaceOrderCmd.from_payload(payload)
        except ValidationError as error:
            return _error(422, "validation_error", str(error))
        try:
            async with SQLAlchemyUnitOfWork(manager):
                customer = await shop.users.get_by_id(user_id)
                if customer is None:
                    raise NotFound("User", id=user_id)
                product = await shop.products.get_by("sku", cmd.sku)
                context = {"user_id": user_id, "customer": customer, "product": product}
                cmd = apply_bulk_discount(price_order(cmd, fields_set, context), fields_set)
                violations = []
                rules: tuple[tuple[Any, bool], ...] = (
                    (total_is_not_sent, False),
                    (_quantity_is_positive, False),
                    (customer_may_order, True),
                    (product_is_known, True),
                    (stock_suffices, True),
                )
                for rule, with_context in rules:
                    try:
                        if with_context:
                            rule(cmd, fields_set, context)
                        else:
                            rule(cmd, fields_set)
                    except RuleViolation as violation:
                        violations.append(violation)
                if violations:
                    raise RuleViolations(violations)
                assert product is not None
                order = await shop.orders.add(
                    user_id=customer.id,
                    product_id=product.id,
                    quantity=cmd.quantity,
                    total_cents=cmd.total_cents,
                )
                await reserve(product.id, cmd.quantity)
        except LoomError as error:
            return _loom_error(error)
        await shop.outbox.send(
            Email(
                to=customer.email,
                subject=f"Order #{order.id} confirmed",
                body=f"{order.quantity} x {product.name} ({product.sku}),"
                f" total {format_cents(order.total_cents)}",
            )
        )
        return MsgspecJSONResponse(order, status_code=201)

    async def reserve_route(request: Request) -> Response:
        product_id = _int_param(request, "product_id")
        if isinstance(product_id, Response):
            return product_id
        payload = await _payload(request)
        if isinstance(payload, Response):
            return payload
        try:
            async with SQLAlchemyUnitOfWork(manager):
                product = await reserve(product_id, payload.get("quantity", 0))
        except LoomError as error:
            return _loom_error(error)
        except ValidationError as error:
            return _error(422, "validation_error", str(error))
        return MsgspecJSONResponse(product)

    for path, endpoint, method in (
        ("/users", register, "POST"),
        ("/users/by-email/{email}/block", block, "POST"),
        ("/products", add_product, "POST"),
        ("/users/{user_id}", get_user, "GET"),
        ("/users/{user_id}/orders", history, "GET"),
        ("/users/{user_id}/orders", place_order, "POST"),
        ("/products/{product_id}/reservations", reserve_route, "POST"),
    ):
        app.add_api_route(path, endpoint, methods=[method])
    return app


async def serve(host: str, port: int, database_url: str) -> None:
    if database_url.startswith("sqlite") and ":///" in database_url:
        folder = os.path.dirname(database_url.split(":///", 1)[1])
        if folder:
            os.makedirs(folder, exist_ok=True)
    shop = await SqlShop.open(database_url)
    try:
        config = uvicorn.Config(
            build(shop),
            host=host,
            port=port,
            log_level="warning",
            access_log=False,
            lifespan="off",
            timeout_keep_alive=75,
        )
        sock = config.bind_socket()
        sock.listen(config.backlog)  # before the address is printed (see examples/shop/serve.py)
        bound_host, bound_port = sock.getsockname()[:2]
        print(f"baseline: serving on http://{bound_host}:{bound_port} (by hand)", flush=True)
        await uvicorn.Server(config).serve(sockets=[sock])
    finally:
        await shop.close()


def main() -> int:
    host = os.environ.get("HOST", "127.0.0.1")
    port = int(os.environ.get("PORT", "8000"))
    try:
        asyncio.run(serve(host, port, os.environ.get("DATABASE_URL") or DEFAULT_DATABASE_URL))
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
