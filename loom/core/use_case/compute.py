"""The shape of a compute function."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeAlias, TypeVar

CommandT = TypeVar("CommandT")

ComputeFn: TypeAlias = Callable[..., CommandT]
"""``(command, fields_set) -> command`` or ``(command, fields_set, context) -> command``.

A compute returns the (usually updated) command; ``fields_set`` is the set of
field names the payload carried and ``context`` a dict of everything bound so
far (params, command, loaded entities, exists flags).
"""
