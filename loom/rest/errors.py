"""From loom's errors to HTTP status codes and JSON bodies.

Every error body has the same shape::

    {"detail": {"code": "...", "message": "...", "trace_id": "...", ...extras}}

==============================================  ======  =======================
error                                           status  extras
==============================================  ======  =======================
:class:`~loom.core.errors.NotFound`             404     ``entity``, ``id``
:class:`~loom.core.errors.Forbidden`            403
:class:`~loom.core.errors.Conflict`             409
:class:`~loom.core.errors.RuleViolations`,      422     ``violations``:
:class:`~loom.core.errors.RuleViolation`                ``[{field, message}]``
a payload that fails validation (pydantic's     422     ``violations``
``ValidationError``), is not JSON or not an
object (code ``validation_error``)
:class:`~loom.core.engine.ParameterBindingError`  400
(code ``bad_parameter``)
any other error                                 500     none: no internals
==============================================  ======  =======================

Other :class:`~loom.core.errors.LoomError` codes are 500 too, with their own
code and message (they are loom's or the application's, meant to be shown).
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any, ClassVar

import pydantic
from fastapi import HTTPException

from loom.core.engine.steps import ParameterBindingError
from loom.core.errors import LoomError, NotFound, RuleViolation, RuleViolations
from loom.core.tracing import get_trace_id


class ErrorField(StrEnum):
    """The keys of an error body's ``detail``."""

    CODE = "code"
    MESSAGE = "message"
    TRACE_ID = "trace_id"
    ENTITY = "entity"
    ID = "id"
    VIOLATIONS = "violations"
    FIELD = "field"


INTERNAL_ERROR = "internal_error"
VALIDATION_ERROR = "validation_error"
BAD_PARAMETER = "bad_parameter"


class HttpErrorMapper:
    """Maps errors to ``(status, detail)``; subclass to change the mapping.

    :meth:`to_http` returns a FastAPI ``HTTPException`` (for handlers that
    raise), :meth:`describe` the status and ``detail`` mapping of any
    exception (what :func:`~loom.rest.fastapi.app.create_fastapi_app`'s
    handlers send).
    """

    STATUS_BY_CODE: ClassVar[dict[str, int]] = {
        "not_found": 404,
        "forbidden": 403,
        "conflict": 409,
        "rule_violations": 422,
        "rule_violation": 422,
        "system_error": 500,
    }

    def to_http(self, error: LoomError) -> HTTPException:
        """The ``HTTPException`` for a loom error."""
        status, detail = self.describe_loom_error(error)
        return HTTPException(status_code=status, detail=detail)

    def describe_loom_error(self, error: LoomError) -> tuple[int, dict[str, Any]]:
        detail: dict[str, Any] = {
            ErrorField.CODE: error.code,
            ErrorField.MESSAGE: error.message,
            ErrorField.TRACE_ID: get_trace_id(),
        }
        if isinstance(error, NotFound):
            detail[ErrorField.ENTITY] = error.entity
            detail[ErrorField.ID] = error.id
        elif isinstance(error, RuleViolations):
            detail[ErrorField.VIOLATIONS] = [_violation(v) for v in error.violations]
        elif isinstance(error, RuleViolation):
            detail[ErrorField.VIOLATIONS] = [_violation(error)]
        return self.STATUS_BY_CODE.get(error.code, 500), detail

    def describe(self, error: BaseException) -> tuple[int, dict[str, Any]]:
        """Status and ``detail`` for any exception a handler caught."""
        if isinstance(error, LoomError):
            return self.describe_loom_error(error)
        if isinstance(error, pydantic.ValidationError):
            return 422, self.validation_detail(
                f"the payload does not match {error.title}",
                [_pydantic_violation(item) for item in error.errors(include_url=False)],
            )
        if isinstance(error, ParameterBindingError):
            return 400, {
                ErrorField.CODE: BAD_PARAMETER,
                ErrorField.MESSAGE: str(error),
                ErrorField.TRACE_ID: get_trace_id(),
            }
        return 500, self.internal_detail()

    def validation_detail(
        self, message: str, violations: list[dict[str, str]] | None = None
    ) -> dict[str, Any]:
        return {
            ErrorField.CODE: VALIDATION_ERROR,
            ErrorField.MESSAGE: message,
            ErrorField.TRACE_ID: get_trace_id(),
            ErrorField.VIOLATIONS: violations or [],
        }

    def internal_detail(self) -> dict[str, Any]:
        return {
            ErrorField.CODE: INTERNAL_ERROR,
            ErrorField.MESSAGE: "An unexpected error occurred",
            ErrorField.TRACE_ID: get_trace_id(),
        }


def _violation(violation: RuleViolation) -> dict[str, str]:
    return {ErrorField.FIELD: violation.field, ErrorField.MESSAGE: violation.message}


def _pydantic_violation(item: Any) -> dict[str, str]:
    location = ".".join(str(part) for part in item.get("loc", ())) or "payload"
    return {ErrorField.FIELD: location, ErrorField.MESSAGE: str(item.get("msg", "invalid"))}
