"""Run a use case for a transport request; loom errors become HTTP exceptions."""

from __future__ import annotations

from typing import Any

from loom.core.engine.executor import RuntimeExecutor
from loom.core.errors import LoomError
from loom.core.transport.adapter import AdapterRequest
from loom.core.use_case.use_case import UseCase
from loom.rest.errors import HttpErrorMapper
from loom.rest.serialize import to_builtins


class LoomRestAdapter:
    """A :class:`~loom.core.transport.adapter.LoomAdapter` for hand-written routes.

    ``handle`` runs the use case with the request's params, payload and
    dependencies (``None`` when there are none, so the executor's resolver
    is used), returns models (msgspec structs, pydantic models, page and
    cursor results) as plain JSON-ready values and anything else as it is,
    and raises the ``HTTPException`` the ``error_mapper`` makes of a
    :class:`~loom.core.errors.LoomError`. Other exceptions propagate.
    """

    def __init__(
        self, executor: RuntimeExecutor, error_mapper: HttpErrorMapper | None = None
    ) -> None:
        self._executor = executor
        self._error_mapper = error_mapper if error_mapper is not None else HttpErrorMapper()

    async def handle(self, use_case: UseCase[Any, Any], request: AdapterRequest) -> Any:
        try:
            result = await self._executor.execute(
                use_case,
                params=request.params,
                payload=request.payload,
                dependencies=request.dependencies or None,
            )
        except LoomError as error:
            raise self._error_mapper.to_http(error) from error
        return to_builtins(result)
