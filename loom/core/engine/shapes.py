"""Which part of a use case's shape changed since its executor was generated.

A generated module records, beside each executor, a short digest of every part
of the shape it was written for (``SHAPES``; see :mod:`.fingerprint` for the
shape). When the fingerprints differ, the runtime digests the live plan's
shape the same way and names the parts that differ, so a stale warning says
*what* changed (its rules, its parameters, a marker's arguments) rather than
only that something did. Read on that failure path only.
"""

from __future__ import annotations

import importlib
from typing import Any

from loom.core.engine.contract import Shape, digest
from loom.core.engine.fingerprint import plan_shape
from loom.core.engine.plan import ExecutionPlan

SECTIONS: tuple[tuple[str, str], ...] = (
    ("is_async", "execute switched between async and sync"),
    ("read_only", "read_only"),
    ("params", "its plain parameters"),
    ("input", "its Input() parameter"),
    ("loads", "a LoadById/Load parameter or its marker arguments"),
    ("exists", "an Exists parameter or its marker arguments"),
    ("computes", "its computes"),
    ("rules", "its rules"),
)
"""The parts of a shape, in the order digested, and how a message names each."""


def section_digests(shape: Shape) -> str:
    """One 4-hex-digit digest per part of ``shape`` (:data:`SECTIONS` order), space-separated."""
    return " ".join(digest(shape.get(key), 4) for key, _ in SECTIONS)


def changed_sections(recorded: str, shape: Shape) -> list[str]:
    """How the parts of ``shape`` whose digest differs from ``recorded`` are named."""
    before = recorded.split(" ")
    now = section_digests(shape).split(" ")
    if len(before) != len(now):
        return []
    return [words for (_, words), a, b in zip(SECTIONS, before, now, strict=True) if a != b]


def what_changed(package: str, module_name: str, plan: ExecutionPlan) -> str | None:
    """``"its rules changed"`` and the like, from the ``SHAPES`` the generated module
    recorded; ``None`` when it recorded none or cannot be imported."""
    qualname = plan.use_case_type.__qualname__
    try:
        module: Any = importlib.import_module(module_name, package)
        recorded = module.SHAPES[qualname]
    except Exception:  # a stale module may no longer import; the caller says less
        return None
    if not isinstance(recorded, str):
        return None
    parts = changed_sections(recorded, plan_shape(plan))
    if not parts:
        return None
    listed = parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]
    return f"{listed} changed"


__all__ = ["SECTIONS", "changed_sections", "section_digests", "what_changed"]
