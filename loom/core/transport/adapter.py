"""A transport-neutral request and the port transports implement."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

from loom.core.use_case.use_case import UseCase


@dataclass(frozen=True)
class AdapterRequest:
    """The inputs of one execution, taken out of the transport's own request.

    ``params`` are named plain values (path or query values, CLI options),
    ``payload`` the raw mapping the ``Input()`` command is built from (``None``
    when there is none), ``dependencies`` repositories by entity type for this
    request only (empty: the executor's resolver is used).
    """

    params: dict[str, Any]
    payload: dict[str, Any] | None = None
    dependencies: dict[type[Any], Any] = field(default_factory=dict)


@runtime_checkable
class LoomAdapter(Protocol):
    """A transport's entry point: run a use case for a request, return what the
    transport sends back (in its own serialisable form), and turn loom's errors
    into the transport's own."""

    async def handle(self, use_case: UseCase[Any, Any], request: AdapterRequest) -> Any: ...
