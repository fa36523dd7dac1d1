"""The hand-written baseline: each shape's pipeline written out by hand.

What a careful developer would write without loom, doing the same work as
the executor: read and convert the params, build the command with the same
``from_payload``, call the same in-memory repositories, apply the same
computes and rules (collecting every violation), call the same ``execute``.
Each is an ``async def`` awaited exactly like ``RuntimeExecutor.execute``.
There is no logging or metrics code: with logging at its default level and
no metrics adapter, the executor should add (almost) nothing for them.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from time import perf_counter
from typing import Any

from bench.usecases.domain import (
    AssignTeamCmd,
    InMemoryUnitOfWorkFactory,
    Product,
    RenameUserCmd,
    ReportCmd,
    Team,
    User,
)
from bench.usecases.declared import DeclaredProfile, blank, lacks_at, lowered, stripped
from bench.usecases.jobs import PrintReport
from bench.usecases.lookups import AssignTeam
from bench.usecases.nested import PlaceOrder, ReserveStock
from bench.usecases.params import ShowPage
from bench.usecases.pipeline import NormalizeProfile
from bench.usecases.steps import (
    email_has_at,
    lower_email,
    name_not_blank,
    strip_name,
    team_must_exist,
    team_name_lower,
    title_not_blank,
)
from bench.usecases.together import AssignOwnedTeam, RenameUser
from loom.core.errors import NotFound, RuleViolation, RuleViolations


async def show_page(use_case: ShowPage, params: dict[str, Any]) -> int:
    return await use_case.execute(
        user_id=int(params["user_id"]), page=int(params["page"]), sort=str(params["sort"])
    )


async def declared_profile(use_case: DeclaredProfile, payload: dict[str, Any]) -> Any:
    """What a person writes for the DSL shape: two lines per compute, one test per rule."""
    cmd, fields_set = RenameUserCmd.from_payload(payload)
    cmd = cmd.model_copy(update={"name": stripped(cmd.name)})
    cmd = cmd.model_copy(update={"email": lowered(cmd.email)})
    violations = []
    if blank(cmd.name):
        violations.append(RuleViolation("name", "must not be blank"))
    if lacks_at(cmd.email):
        violations.append(RuleViolation("email", "needs an @"))
    if cmd.name is None:
        violations.append(RuleViolation("name", "name is required"))
    if violations:
        raise RuleViolations(violations)
    return await use_case.execute(cmd=cmd)


async def normalize_profile(use_case: NormalizeProfile, payload: dict[str, Any]) -> Any:
    cmd, fields_set = RenameUserCmd.from_payload(payload)
    cmd = strip_name(cmd, fields_set)
    cmd = lower_email(cmd, fields_set)
    violations = []
    try:
        name_not_blank(cmd, fields_set)
    except RuleViolation as violation:
        violations.append(violation)
    try:
        email_has_at(cmd, fields_set)
    except RuleViolation as violation:
        violations.append(violation)
    if violations:
        raise RuleViolations(violations)
    return await use_case.execute(cmd=cmd)


async def assign_team(
    use_case: AssignTeam,
    params: dict[str, Any],
    payload: dict[str, Any],
    repositories: dict[type[Any], Any],
) -> bool:
    user_id = int(params["user_id"])
    cmd, fields_set = AssignTeamCmd.from_payload(payload)
    users = repositories[User]
    user = await users.get_by_id(user_id, profile="default")
    if user is None:
        raise NotFound("User", id=user_id)
    owner = await users.get_by("email", cmd.owner_email, profile="default")
    if owner is None:
        raise NotFound("User", id=cmd.owner_email)
    team_exists = bool(await repositories[Team].exists_by("name", cmd.team_name))
    return await use_case.execute(
        user_id=user_id, cmd=cmd, user=user, owner=owner, team_exists=team_exists
    )


async def rename_user(
    use_case: RenameUser,
    params: dict[str, Any],
    payload: dict[str, Any],
    repositories: dict[type[Any], Any],
) -> str:
    user_id = int(params["user_id"])
    cmd, fields_set = RenameUserCmd.from_payload(payload)
    user = await repositories[User].get_by_id(user_id, profile="default")
    if user is None:
        raise NotFound("User", id=user_id)
    cmd = strip_name(cmd, fields_set)
    cmd = lower_email(cmd, fields_set)
    violations = []
    try:
        name_not_blank(cmd, fields_set)
    except RuleViolation as violation:
        violations.append(violation)
    try:
        email_has_at(cmd, fields_set)
    except RuleViolation as violation:
        violations.append(violation)
    if violations:
        raise RuleViolations(violations)
    return await use_case.execute(user_id=user_id, cmd=cmd, user=user)


async def assign_owned_team(
    use_case: AssignOwnedTeam,
    params: dict[str, Any],
    payload: dict[str, Any],
    repositories: dict[type[Any], Any],
) -> int:
    user_id = int(params["user_id"])
    cmd, fields_set = AssignTeamCmd.from_payload(payload)
    users = repositories[User]
    user = await users.get_by_id(user_id, profile="default")
    if user is None:
        raise NotFound("User", id=user_id)
    owner = await users.get_by("email", cmd.owner_email, profile="default")
    if owner is None:
        raise NotFound("User", id=cmd.owner_email)
    team_exists = bool(await repositories[Team].exists_by("name", cmd.team_name))
    cmd = team_name_lower(cmd, fields_set)
    context = {
        "user_id": user_id,
        "cmd": cmd,
        "user": user,
        "owner": owner,
        "team_exists": team_exists,
    }
    try:
        team_must_exist(cmd, fields_set, context)
    except RuleViolation as violation:
        raise RuleViolations([violation]) from None
    return await use_case.execute(
        user_id=user_id, cmd=cmd, user=user, owner=owner, team_exists=team_exists
    )


async def reserve_stock(
    use_case: ReserveStock, params: dict[str, Any], repositories: dict[type[Any], Any]
) -> int:
    """The inner use case of the nested shape (no transaction of its own): its
    pipeline, then its ``execute``, as every other shape here calls its own."""
    product_id = int(params["product_id"])
    quantity = int(params["quantity"])
    product: Product | None = await repositories[Product].get_by_id(product_id, profile="default")
    if product is None:
        raise NotFound("Product", id=product_id)
    return await use_case.execute(product_id=product_id, quantity=quantity, product=product)


async def place_order(
    use_case: PlaceOrder, params: dict[str, Any], uow_factory: InMemoryUnitOfWorkFactory
) -> int:
    """The outer use case: owns the transaction; ``use_case.run_inner`` is
    :func:`reserve_stock` bound to the inner use case and the repositories."""
    uow = uow_factory.create()
    await uow.begin()
    try:
        result: int = await use_case.execute(
            product_id=int(params["product_id"]), quantity=int(params["quantity"])
        )
        await uow.commit()
    except BaseException:
        await uow.rollback()
        raise
    return result


async def print_report(job: PrintReport, params: dict[str, Any], payload: dict[str, Any]) -> int:
    batch = int(params["batch"])
    cmd, fields_set = ReportCmd.from_payload(payload)
    try:
        title_not_blank(cmd, fields_set)
    except RuleViolation as violation:
        raise RuleViolations([violation]) from None
    return job.execute(batch=batch, cmd=cmd)


class HandMetrics:
    """The series loom's Prometheus adapter updates, kept by hand on ``registry``."""

    def __init__(self, registry: Any) -> None:
        from prometheus_client import Counter, Histogram

        self.requests = Counter(
            "loom_usecase_requests",
            "Use case executions.",
            ["usecase", "status"],
            registry=registry,
        )
        self.duration = Histogram(
            "loom_usecase_duration_seconds",
            "Duration of successful executions.",
            ["usecase"],
            registry=registry,
        )
        self.errors = Counter(
            "loom_usecase_errors",
            "Failed executions.",
            ["usecase", "error_kind"],
            registry=registry,
        )


def instrumented(run: Callable[..., Awaitable[Any]], name: str, metrics: HandMetrics) -> Any:
    """``run`` wrapped as a person instruments a function with prometheus_client
    (a decorator): the same series and labels as loom's adapter."""
    requests, duration, errors = metrics.requests, metrics.duration, metrics.errors

    async def instrumented_run(*args: Any, **kwargs: Any) -> Any:
        start = perf_counter()
        try:
            result = await run(*args, **kwargs)
        except RuleViolations as error:
            requests.labels(name, "rule_failure").inc()
            errors.labels(name, type(error).__name__).inc()
            raise
        except Exception as error:
            requests.labels(name, "failure").inc()
            errors.labels(name, type(error).__name__).inc()
            raise
        requests.labels(name, "success").inc()
        duration.labels(name).observe(perf_counter() - start)
        return result

    return instrumented_run
