from typing import Any

from loom.core.command import Command
from loom.core.use_case import Input, RuleViolation, UseCase


class ChargeCommand(Command):
    amount_cents: int
    currency: str = "EUR"
    note: str | None = None


def normalize_currency(cmd: ChargeCommand, fields_set: frozenset[str]) -> ChargeCommand:
    return cmd.model_copy(update={"currency": cmd.currency.upper()})


def stamp_customer(
    cmd: ChargeCommand, fields_set: frozenset[str], context: dict[str, Any]
) -> ChargeCommand:
    return cmd.model_copy(update={"note": f"customer {context['customer_id']}"})


def positive_amount(cmd: ChargeCommand, fields_set: frozenset[str]) -> None:
    if cmd.amount_cents <= 0:
        raise RuleViolation("amount_cents", "must be positive")


def within_limit(cmd: ChargeCommand, fields_set: frozenset[str], context: dict[str, Any]) -> None:
    if cmd.amount_cents > context["limit_cents"]:
        raise RuleViolation("amount_cents", "over the customer's limit")


def any_arguments(*args: Any) -> None:
    return None


class Charge(UseCase[Any, str]):
    computes = [normalize_currency, stamp_customer]
    rules = (positive_amount, within_limit, any_arguments)

    async def execute(
        self, customer_id: str, limit_cents: int, cmd: ChargeCommand = Input()
    ) -> str:
        return f"{cmd.amount_cents} {cmd.currency}"


class RulesWithoutInput(UseCase[Any, None]):
    """Computes and rules run only with Input(): the executor skips them here."""

    rules = [positive_amount]

    async def execute(self, customer_id: str) -> None:
        return None
