"""The record a generated package keeps of what it was built from.

A fresh clone has no build cache, but it has this file: a build or check there
reuses every module whose inputs and output still match the record.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from loom.modes import INPUTS_FILE
from loomgen.cache import Record, inputs_unchanged, sha256
from loomgen.outcome import COMMITTED_FIELDS, ModuleOutcome, well_formed

if TYPE_CHECKING:
    from loomgen.emit import Plan

INPUTS = INPUTS_FILE
"""A file of every generated package: per source module that produced anything
(use cases, diagnostics), the digest of every input it was built from (its own
text and every module its analysis read), its diagnostics, registry entries,
the hash of the file it produced, and the runtime's digest of each module its
analysis read (``read``: what ``RuntimeExecutor.prepare_all`` compares with the
loaded sources); with the toolchain that produced them. A build or check on a fresh clone (no build
cache) reuses each module whose inputs and output still match, and renders
only the others."""

INPUTS_FORMAT = 1


def inputs_text(outcomes: Sequence[ModuleOutcome], package: str) -> str:
    """The :data:`INPUTS` file for ``outcomes`` (stable JSON)."""
    import json

    from loomgen.cache import portable_toolchain_digest

    modules = {}
    for outcome in outcomes:
        if not (outcome.entries or outcome.path or outcome.diagnostics):
            continue  # nothing generated from it: recording it would only churn the file
        record = outcome.record()
        record["output"] = None if outcome.output is None else sha256(outcome.output)
        modules[outcome.module] = {name: record[name] for name in COMMITTED_FIELDS}
    document = {
        "format": INPUTS_FORMAT,
        "package": package,
        "toolchain": portable_toolchain_digest(),
        "modules": modules,
    }
    return json.dumps(document, indent=1, sort_keys=True, ensure_ascii=True) + "\n"


def settled_plan(output: Path, files: Mapping[str, str]) -> Plan:
    """The plan for writing ``files`` to ``output``, with the package's current
    :data:`INPUTS` file kept as it is when nothing else would change.

    The file is a verified hint, never trusted (every record is checked against
    the digests of today's sources and files), so a stale one costs time, not
    correctness. Keeping it when the generated code is unchanged means an edit
    that changes no generated code (a method body, a helper module) needs no
    rebuild and no commit: ``check`` passes and ``build`` writes nothing.
    """
    from loomgen.emit import plan_package, replan

    plan = plan_package(output, files)
    try:
        current = (output / INPUTS).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return plan
    if INPUTS not in plan.files or current == plan.files[INPUTS]:
        return plan
    kept = replan(plan, INPUTS, current)
    return plan if kept.changes.changes_anything else kept


def read_inputs(output: Path, package: str) -> dict[str, Record]:
    """The module records of an existing package's :data:`INPUTS` file, when it was
    written by this toolchain for this package; ``{}`` otherwise (or unreadable)."""
    import json

    from loomgen.cache import portable_toolchain_digest

    try:
        document = json.loads((output / INPUTS).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError):
        return {}
    if not (
        isinstance(document, dict)
        and document.get("format") == INPUTS_FORMAT
        and document.get("package") == package
        and document.get("toolchain") == portable_toolchain_digest()
        and isinstance(document.get("modules"), dict)
    ):
        return {}
    return {k: v for k, v in document["modules"].items() if isinstance(v, dict)}


def committed_outcome(
    module: str, record: Record | None, digests: Mapping[str, str], output: Path | None
) -> ModuleOutcome | None:
    """``module``'s outcome from a committed record whose inputs are unchanged and
    whose output file is still exactly what it produced; else ``None``."""
    if record is None or output is None:
        return None
    if not inputs_unchanged(module, record.get("deps"), digests):
        return None
    path, digest = record.get("path"), record.get("output")
    text = None
    if path is not None:
        if not isinstance(path, str) or not isinstance(digest, str):
            return None
        try:
            text = (output / path).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            return None
        if sha256(text) != digest:
            return None  # edited by hand, or from another build
    full = {**record, "module": module, "output": text}
    return ModuleOutcome.from_record(full) if well_formed(full) else None
