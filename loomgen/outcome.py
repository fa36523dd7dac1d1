"""What building one source module gave, and the record it is kept as.

The same record is stored in the build cache and, in part, in the generated
package's record of its inputs (:mod:`loomgen.inputs`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from loomgen.cache import Record
from loomgen.diagnostics import Diagnostic, Severity, errors_in

if TYPE_CHECKING:
    from loomgen.ir import ModuleIR

RegistryEntry = tuple[str, str, str, str]
"""``(key, module, function, fingerprint)`` of a compiled use case; ``(key, "",
source digest, reason)`` of one left to the interpreter."""


def is_compiled(entry: RegistryEntry) -> bool:
    """Whether a registry entry names a generated executor (not the interpreter)."""
    return bool(entry[1])


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

    def record(self) -> Record:
        return {
            "module": self.module,
            "deps": self.deps,
            "diagnostics": [
                [d.path, d.line, d.column, d.message, d.severity.value] for d in self.diagnostics
            ],
            "entries": [list(entry) for entry in self.entries],
            "path": self.path,
            "output": self.output,
            "pieces": self.pieces,
            "formatter": self.formatter,
        }

    @classmethod
    def from_record(cls, record: Record) -> ModuleOutcome:
        return cls(
            module=record["module"],
            deps=record["deps"],
            diagnostics=[
                Diagnostic(path, line, column, message, Severity(severity))
                for path, line, column, message, severity in record["diagnostics"]
            ],
            entries=[
                (key, module, function, fp) for key, module, function, fp in record["entries"]
            ],
            path=record["path"],
            output=record["output"],
            pieces=record.get("pieces", {}),
        )


def needs_rendering(outcome: ModuleOutcome) -> bool:
    """Whether a module has a file to write (use cases and no errors of its own;
    with errors the build fails anyway)."""
    return outcome.ir is not None and not errors_in(outcome.diagnostics, strict=False)


Rendered = tuple[
    str | None, str | None, list[RegistryEntry], dict[str, str], str | None, str | None
]
"""``(path, output, entries, pieces used, formatter digest, render error)``."""
