"""What the compiler and executor accept: ``UseCase`` and ``Job`` alike."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol, runtime_checkable


@runtime_checkable
class Compilable(Protocol):
    """A class with ``execute`` plus ``computes``, ``rules`` and ``read_only``."""

    computes: Sequence[Any]
    rules: Sequence[Any]

    def execute(self, *args: Any, **kwargs: Any) -> Any: ...
