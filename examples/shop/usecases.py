"""The shop's use cases.

Each class declares in the signature of ``execute`` what it needs: plain
parameters, the command (``Input()``), entities to load and existence checks.
``computes`` adjust the command and ``rules`` vet it before ``execute`` runs.
Everything here is written so that loomgen can read it without importing it:
markers appear literally in the signature and ``computes``/``rules`` are
literal lists of the module-level functions below.

Coverage at a glance:

============================  ==============================================
``RegisterUser``              ``Input``, ``Exists(from_command)`` RETURN_FALSE,
                              computes without context, rule with context
``AddProduct``                ``Exists(from_command)`` RETURN_NONE (None when absent),
                              a DSL ``Compute``, a DSL ``Rule.check`` and two rule functions
``GetUser``                   read-only, ``LoadById`` RAISE
``FindUserByEmail``           read-only, ``Load(from_param)`` RETURN_NONE
``BlockUser``                 ``Load(from_param)`` RETURN_FALSE
``OrderHistory``              read-only query
``PlaceOrder``                ``LoadById`` + ``Load(from_command)`` RETURN_NONE,
                              compute with and without context, five rules (one
                              a DSL ``Rule.check``),
                              runs ``ReserveStock`` nested, dispatches the e-mail job
``ReserveStock``              the nested use case (joins the caller's unit of work)
``CancelOrder``               ``Exists(from_param)`` RAISE, Forbidden, Conflict
``RestockProducts``           fails inside ``execute`` after writing: all or nothing
============================  ==============================================

The synchronous job lives in :mod:`examples.shop.jobs`.
"""

from collections.abc import Mapping
from dataclasses import dataclass, replace
from functools import partial
from typing import Literal

from examples.shop.commands import (
    AddProductCmd,
    PlaceOrderCmd,
    RegisterUserCmd,
    ReserveStockCmd,
    RestockCmd,
)
from examples.shop.domain import Email, Order, OrderStatus, Product, User, format_cents
from examples.shop.jobs import SendEmail
from examples.shop.services import ShopServices
from loom.core.errors import Conflict, Forbidden, NotFound, RuleViolation
from loom.core.job.context import add_pending_dispatch
from loom.core.tracing import get_trace_id
from loom.core.use_case import (
    Compute,
    Exists,
    F,
    Input,
    Load,
    LoadById,
    OnMissing,
    Rule,
    UseCase,
)

Context = Mapping[str, object]
"""What a compute or rule taking a third argument receives: everything bound so far."""

BULK_QUANTITY = 10
"""Orders of at least this many units get :data:`BULK_DISCOUNT_PERCENT` off."""
BULK_DISCOUNT_PERCENT = 10


# -- computes -------------------------------------------------------------------


def normalize_email(cmd: RegisterUserCmd, fields_set: frozenset[str]) -> RegisterUserCmd:
    """Addresses are stored in lower case."""
    return cmd.model_copy(update={"email": cmd.email.lower()})


def default_display_name(cmd: RegisterUserCmd, fields_set: frozenset[str]) -> RegisterUserCmd:
    """No name sent (or a blank one): use the part of the address before ``@``."""
    if "name" in fields_set and cmd.name:
        return cmd
    return cmd.model_copy(update={"name": cmd.email.partition("@")[0]})


def upper_case(text: str) -> str:
    return text.upper()


# SKUs are stored in upper case (lookups ignore case anyway).
NORMALIZE_SKU = Compute.set(F(AddProductCmd).sku).from_command(F(AddProductCmd).sku, via=upper_case)


def price_order(cmd: PlaceOrderCmd, fields_set: frozenset[str], context: Context) -> PlaceOrderCmd:
    """The total is the loaded product's unit price times the quantity."""
    product = context["product"]
    if not isinstance(product, Product):
        return cmd  # unknown SKU: product_is_known reports it
    return cmd.model_copy(update={"total_cents": product.price_cents * cmd.quantity})


def apply_bulk_discount(cmd: PlaceOrderCmd, fields_set: frozenset[str]) -> PlaceOrderCmd:
    """Large orders are cheaper (runs after :func:`price_order`)."""
    if cmd.quantity < BULK_QUANTITY:
        return cmd
    discount = cmd.total_cents * BULK_DISCOUNT_PERCENT // 100
    return cmd.model_copy(update={"total_cents": cmd.total_cents - discount})


# -- rules --------------------------------------------------------------------


def email_is_plausible(cmd: RegisterUserCmd, fields_set: frozenset[str]) -> None:
    local, at, domain = cmd.email.partition("@")
    if not (local and at and "." in domain.strip(".")):
        raise RuleViolation("email", f"{cmd.email!r} is not an e-mail address")


def email_is_free(cmd: RegisterUserCmd, fields_set: frozenset[str], context: Context) -> None:
    if context["email_taken"]:
        raise RuleViolation("email", f"{cmd.email} is already registered")


def not_positive(amount: int) -> bool:
    return amount <= 0


PRICE_IS_POSITIVE = Rule.check(
    F(AddProductCmd).price_cents, via=not_positive, message="must be positive"
)


def stock_is_not_negative(cmd: AddProductCmd, fields_set: frozenset[str]) -> None:
    if cmd.stock < 0:
        raise RuleViolation("stock", "cannot be negative")


def sku_is_free(cmd: AddProductCmd, fields_set: frozenset[str], context: Context) -> None:
    if context["sku_taken"]:
        raise RuleViolation("sku", f"{cmd.sku} is already on sale")


def total_is_not_sent(cmd: PlaceOrderCmd, fields_set: frozenset[str]) -> None:
    if "total_cents" in fields_set:
        raise RuleViolation("total_cents", "is worked out by the shop and must not be sent")


QUANTITY_IS_POSITIVE = Rule.check(
    F(PlaceOrderCmd).quantity, via=not_positive, message="must be at least 1"
)


def customer_may_order(cmd: PlaceOrderCmd, fields_set: frozenset[str], context: Context) -> None:
    customer = context["customer"]
    if isinstance(customer, User) and customer.blocked:
        raise RuleViolation("user_id", f"{customer.email} is blocked and may not order")


def product_is_known(cmd: PlaceOrderCmd, fields_set: frozenset[str], context: Context) -> None:
    if context["product"] is None:
        raise RuleViolation("sku", f"no product with SKU {cmd.sku!r}")


def stock_suffices(cmd: PlaceOrderCmd, fields_set: frozenset[str], context: Context) -> None:
    product = context["product"]
    if not isinstance(product, Product) or cmd.quantity <= 0:
        return  # reported by product_is_known / QUANTITY_IS_POSITIVE
    if product.stock == 0:
        raise RuleViolation("sku", f"{product.sku} is sold out")
    if product.stock < cmd.quantity:
        raise RuleViolation("quantity", f"only {product.stock} x {product.sku} left")


def reservation_is_positive(cmd: ReserveStockCmd, fields_set: frozenset[str]) -> None:
    if cmd.quantity <= 0:
        raise RuleViolation("quantity", "must be at least 1")


def reservation_fits_stock(
    cmd: ReserveStockCmd, fields_set: frozenset[str], context: Context
) -> None:
    product = context["product"]
    if isinstance(product, Product) and product.stock < cmd.quantity:
        raise RuleViolation("quantity", f"only {product.stock} x {product.sku} in stock")


def delivery_is_not_empty(cmd: RestockCmd, fields_set: frozenset[str]) -> None:
    if not cmd.lines:
        raise RuleViolation("lines", "a delivery needs at least one line")


def delivered_quantities_are_positive(cmd: RestockCmd, fields_set: frozenset[str]) -> None:
    for index, line in enumerate(cmd.lines):
        if line.quantity <= 0:
            raise RuleViolation(f"lines[{index}].quantity", "must be at least 1")


# -- results --------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class OrderHistoryView:
    """A customer's orders, oldest first, and what the placed ones cost."""

    customer: User
    orders: tuple[Order, ...]
    spent_cents: int


# -- use cases ------------------------------------------------------------------


class RegisterUser(UseCase[User, User]):
    """Open an account for a new e-mail address."""

    computes = [normalize_email, default_display_name]
    rules = [email_is_plausible, email_is_free]

    def __init__(self, shop: ShopServices) -> None:
        self.shop = shop

    async def execute(
        self,
        cmd: RegisterUserCmd = Input(),
        email_taken: bool = Exists(
            User, from_command="email", against="email", on_missing=OnMissing.RETURN_FALSE
        ),
    ) -> User:
        # Two concurrent registrations may both pass email_is_free: the UNIQUE
        # column makes the second one a Conflict instead of a duplicate.
        return await self.shop.users.add(email=cmd.email, name=cmd.name)


class AddProduct(UseCase[Product, Product]):
    """Put a new product on sale."""

    computes = [NORMALIZE_SKU]
    rules = [PRICE_IS_POSITIVE, stock_is_not_negative, sku_is_free]

    def __init__(self, shop: ShopServices) -> None:
        self.shop = shop

    async def execute(
        self,
        cmd: AddProductCmd = Input(),
        sku_taken: bool | None = Exists(
            Product, from_command="sku", against="sku", on_missing=OnMissing.RETURN_NONE
        ),
    ) -> Product:
        return await self.shop.products.add(
            sku=cmd.sku, name=cmd.name, price_cents=cmd.price_cents, stock=cmd.stock
        )


class GetUser(UseCase[User, User]):
    """A user by id; ``NotFound`` when there is none."""

    read_only = True

    def __init__(self, shop: ShopServices) -> None:
        self.shop = shop

    async def execute(self, user_id: int, user: User = LoadById(User, by="user_id")) -> User:
        return user


class FindUserByEmail(UseCase[User, User | None]):
    """A user by e-mail address, or ``None``."""

    read_only = True

    def __init__(self, shop: ShopServices) -> None:
        self.shop = shop

    async def execute(
        self,
        email: str,
        user: User | None = Load(
            User, from_param="email", against="email", on_missing=OnMissing.RETURN_NONE
        ),
    ) -> User | None:
        return user


class BlockUser(UseCase[User, bool]):
    """Block a customer; ``False`` when there is nobody to block."""

    def __init__(self, shop: ShopServices) -> None:
        self.shop = shop

    async def execute(
        self,
        email: str,
        user: User | Literal[False] = Load(
            User, from_param="email", against="email", on_missing=OnMissing.RETURN_FALSE
        ),
    ) -> bool:
        if user is False or user.blocked:
            return False
        await self.shop.users.update(replace(user, blocked=True))
        return True


class OrderHistory(UseCase[Order, OrderHistoryView]):
    """A customer's orders (never opens a transaction)."""

    read_only = True

    def __init__(self, shop: ShopServices) -> None:
        self.shop = shop

    async def execute(
        self, user_id: int, customer: User = LoadById(User, by="user_id")
    ) -> OrderHistoryView:
        orders = tuple(await self.shop.orders.list_by_user(customer.id))
        spent = sum(o.total_cents for o in orders if o.status is OrderStatus.PLACED)
        return OrderHistoryView(customer=customer, orders=orders, spent_cents=spent)


class ReserveStock(UseCase[Product, Product]):
    """Take units of a product out of stock.

    Usually run by :class:`PlaceOrder`, inside its unit of work; run on its
    own it gets a unit of work of its own.
    """

    rules = [reservation_is_positive, reservation_fits_stock]

    def __init__(self, shop: ShopServices) -> None:
        self.shop = shop

    async def execute(
        self,
        product_id: int,
        cmd: ReserveStockCmd = Input(),
        product: Product = LoadById(Product, by="product_id"),
    ) -> Product:
        return await self.shop.products.change_stock(product.id, -cmd.quantity)


class PlaceOrder(UseCase[Order, Order]):
    """A customer buys units of one product.

    Records the order, then runs :class:`ReserveStock` through the executor:
    it joins this unit of work, so the order and the stock change are
    committed, or rolled back, together. The confirmation e-mail is a
    :class:`~examples.shop.jobs.SendEmail` job, dispatched through the shop's
    job service: it is sent only once both are saved.
    """

    computes = [price_order, apply_bulk_discount]
    rules = [
        total_is_not_sent,
        QUANTITY_IS_POSITIVE,
        customer_may_order,
        product_is_known,
        stock_suffices,
    ]

    def __init__(self, shop: ShopServices) -> None:
        self.shop = shop

    async def execute(
        self,
        user_id: int,
        cmd: PlaceOrderCmd = Input(),
        customer: User = LoadById(User, by="user_id"),
        product: Product | None = Load(
            Product, from_command="sku", against="sku", on_missing=OnMissing.RETURN_NONE
        ),
    ) -> Order:
        if product is None:  # product_is_known has already rejected this
            raise NotFound("Product", id=cmd.sku)
        shop = self.shop
        order = await shop.orders.add(
            user_id=customer.id,
            product_id=product.id,
            quantity=cmd.quantity,
            total_cents=cmd.total_cents,
        )
        await shop.executor.execute(
            ReserveStock(shop),
            params={"product_id": product.id},
            payload={"quantity": cmd.quantity},
        )
        # The e-mail job is sent by the job service once this unit of work
        # commits: inline, or to a Celery worker (see examples.shop.app).
        shop.jobs.dispatch(
            SendEmail,
            payload={
                "to": customer.email,
                "subject": f"Order #{order.id} confirmed",
                "body": (
                    f"{order.quantity} x {product.name} ({product.sku}),"
                    f" total {format_cents(order.total_cents)}"
                ),
            },
        )
        return order


class CancelOrder(UseCase[Order, Order]):
    """The customer who placed an order cancels it; its units go back to stock."""

    def __init__(self, shop: ShopServices) -> None:
        self.shop = shop

    async def execute(
        self,
        order_id: int,
        requested_by: int,
        order: Order = LoadById(Order, by="order_id"),
        requester_exists: bool = Exists(
            User, from_param="requested_by", against="id", on_missing=OnMissing.RAISE
        ),
    ) -> Order:
        if order.user_id != requested_by:
            raise Forbidden(f"order #{order.id} belongs to another customer")
        if order.status is OrderStatus.CANCELLED:
            raise Conflict(f"order #{order.id} is already cancelled")
        shop = self.shop
        cancelled = await shop.orders.update(replace(order, status=OrderStatus.CANCELLED))
        await shop.products.change_stock(order.product_id, order.quantity)
        customer = await shop.users.get_by_id(requested_by)
        if customer is not None:
            notice = Email(
                to=customer.email,
                subject=f"Order #{order.id} cancelled",
                body=f"{format_cents(order.total_cents)} will be refunded",
                trace_id=get_trace_id(),
            )
            add_pending_dispatch(partial(shop.outbox.send, notice))
        return cancelled


class RestockProducts(UseCase[Product, list[Product]]):
    """Apply a delivery: every line, or (when one SKU is unknown) none."""

    rules = [delivery_is_not_empty, delivered_quantities_are_positive]

    def __init__(self, shop: ShopServices) -> None:
        self.shop = shop

    async def execute(self, cmd: RestockCmd = Input()) -> list[Product]:
        restocked: list[Product] = []
        for line in cmd.lines:
            product = await self.shop.products.get_by("sku", line.sku)
            if product is None:
                # The lines before this one were already written: the unit of
                # work's rollback takes them back.
                raise NotFound("Product", id=line.sku)
            restocked.append(await self.shop.products.change_stock(product.id, line.quantity))
        return restocked
