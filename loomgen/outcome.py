"""What building one source module gave, and the one record it is kept as.

The record (:meth:`ModuleOutcome.record`) is a JSON object:

* ``module``: the module's import name;
* ``deps``: every module its analysis read, name -> digest (``null`` for a
  name no readable source had);
* ``diagnostics``: ``[path, line, column, message, "error" | "warning"]`` each;
* ``entries``: its registry entries, as :func:`~loomgen.entries.entry_record` writes them;
* ``path`` and ``output``: the generated file's path and text (both ``null``
  when the module has no file);
* ``pieces`` and ``formatter``: black's formatted pieces, by digest, and the
  digest of black and its mode (build cache only);
* ``read``: the runtime's :func:`~loom.core.engine.fingerprint.source_digest`
  of each module the analysis read (what ``RuntimeExecutor.prepare_all``
  compares with the modules it has loaded).

The build cache stores it whole; the generated package keeps
:data:`COMMITTED_FIELDS` of it, with ``output`` as the digest of the file
(:mod:`loomgen.inputs`). :func:`well_formed` is the one check of a record read
back from either.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from loomgen.diagnostics import Diagnostic, Severity, errors_in
from loomgen.entries import (
    CompiledEntry,
    RegistryEntry,
    entry_from_record,
    entry_record,
    is_entry_record,
)

if TYPE_CHECKING:
    from loomgen.cache import Record
    from loomgen.ir import ModuleIR

COMMITTED_FIELDS = ("deps", "diagnostics", "entries", "path", "output", "read")
"""The fields of a record the generated package keeps."""


def is_compiled(entry: RegistryEntry) -> bool:
    """Whether a registry entry names a generated executor (not the interpreter)."""
    return isinstance(entry, CompiledEntry)


@dataclass
class ModuleOutcome:
    """What building one source module gave; all of it is cached."""

    module: str
    deps: dict[str, str | None]
    diagnostics: list[Diagnostic]
    entries: list[RegistryEntry] = field(default_factory=list)
    path: str | None = None
    output: str | None = None
    pieces: dict[str, str] = field(default_factory=dict)
    formatter: str | None = None
    ir: ModuleIR | None = None
    render_error: str | None = None
    read: dict[str, str] = field(default_factory=dict)
    """The runtime's source digest of each module the analysis read (``read`` above)."""

    def record(self) -> Record:
        """The record of this outcome (see the module's documentation)."""
        return {
            "module": self.module,
            "deps": self.deps,
            "diagnostics": [
                [d.path, d.line, d.column, d.message, d.severity.value] for d in self.diagnostics
            ],
            "entries": [entry_record(entry) for entry in self.entries],
            "path": self.path,
            "output": self.output,
            "pieces": self.pieces,
            "formatter": self.formatter,
            "read": self.read,
        }

    @classmethod
    def from_record(cls, record: Record) -> ModuleOutcome:
        """The outcome a :func:`well_formed` record holds."""
        return cls(
            module=record["module"],
            deps=record["deps"],
            diagnostics=[
                Diagnostic(path, line, column, message, Severity(severity))
                for path, line, column, message, severity in record["diagnostics"]
            ],
            entries=[entry_from_record(entry) for entry in record["entries"]],
            path=record["path"],
            output=record["output"],
            pieces=record.get("pieces", {}),
            read=record.get("read", {}),
        )


def well_formed(record: Record) -> bool:
    """Whether ``record`` has every field :meth:`ModuleOutcome.from_record` reads,
    well typed (``pieces`` and ``read`` may be missing)."""
    read = record.get("read", {})
    diagnostics = record.get("diagnostics")
    entries = record.get("entries")
    output = record.get("output")
    path = record.get("path")
    return (
        isinstance(record.get("module"), str)
        and isinstance(record.get("deps"), dict)
        and "path" in record
        and "output" in record
        and isinstance(diagnostics, list)
        and all(
            isinstance(d, list)
            and len(d) == 5
            and isinstance(d[0], str)
            and isinstance(d[1], int)
            and isinstance(d[2], int)
            and isinstance(d[3], str)
            and d[4] in ("error", "warning")
            for d in diagnostics
        )
        and isinstance(entries, list)
        and all(is_entry_record(e) for e in entries)
        and (output is None or isinstance(output, str))
        and (path is None or isinstance(path, str))
        and isinstance(record.get("pieces", {}), dict)
        and isinstance(read, dict)
        and all(isinstance(v, str) for v in read.values())
    )


def needs_rendering(outcome: ModuleOutcome) -> bool:
    """Whether a module has a file to write (use cases and no errors of its own;
    with errors the build fails anyway)."""
    return outcome.ir is not None and not errors_in(outcome.diagnostics, strict=False)


Rendered = tuple[
    str | None, str | None, list[RegistryEntry], dict[str, str], str | None, str | None
]
"""``(path, output, entries, pieces used, formatter digest, render error)``."""
