"""Wire the stages together: discover -> parse -> render -> emit.

``generate`` is pure (reads sources, returns files and diagnostics);
``build_package`` also writes, and only when there is no error, so a failed
build leaves the previous generated package untouched.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from loomgen.diagnostics import Diagnostic, Severity, errors_in
from loomgen.discover import SourceFile, discover
from loomgen.ir import ModuleIR, UseCaseIR
from loomgen.parse import ModuleScan, analyse, scan_module
from loomgen.render import RenderError, render_module, render_package


@dataclass(frozen=True)
class BuildResult:
    """What a build produced: files (relative posix path -> text) and problems."""

    files: dict[str, str]
    diagnostics: list[Diagnostic] = field(default_factory=list)
    modules: tuple[ModuleIR, ...] = ()

    def errors(self, *, strict: bool = False) -> list[Diagnostic]:
        return errors_in(self.diagnostics, strict=strict)


def read_sources(sources: Sequence[SourceFile]) -> tuple[list[ModuleScan], list[Diagnostic]]:
    """Parse every source file; unreadable or invalid files become diagnostics."""
    scans: list[ModuleScan] = []
    problems: list[Diagnostic] = []
    for source in sources:
        try:
            text = source.path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as error:
            problems.append(Diagnostic(source.display, 1, 1, f"cannot read: {error}"))
            continue
        scanned = scan_module(source, text)
        if isinstance(scanned, Diagnostic):
            problems.append(scanned)
        else:
            scans.append(scanned)
    return scans, problems


def analyse_sources(sources: Sequence[SourceFile]) -> tuple[list[ModuleIR], list[Diagnostic]]:
    """Sources -> IR of every use case, plus every problem found."""
    scans, problems = read_sources(sources)
    modules, found = analyse(scans)
    return modules, sorted(problems + found)


def generate(sources: Sequence[SourceFile], package: str) -> BuildResult:
    """Parse ``sources`` and render the generated package ``package`` in memory."""
    del package  # the registry refers to its modules relatively
    modules, diagnostics = analyse_sources(sources)
    if errors_in(diagnostics, strict=False):
        return BuildResult({}, diagnostics, tuple(modules))
    try:
        files = render_package(modules)
    except RenderError as error:
        diagnostics.append(Diagnostic("<loomgen>", 1, 1, str(error), Severity.ERROR))
        return BuildResult({}, diagnostics, tuple(modules))
    return BuildResult(files, diagnostics, tuple(modules))


def build_package(
    paths: Sequence[Path], output: Path, *, root: Path, strict: bool = False
) -> BuildResult:
    """Discover, generate and write ``output``; nothing is written on errors."""
    from loomgen.emit import write_package

    sources, problems = discover(paths, root=root, exclude=[output])
    result = generate(sources, output.name)
    diagnostics = sorted(problems + result.diagnostics)
    if errors_in(diagnostics, strict=strict):
        return BuildResult({}, diagnostics, result.modules)
    write_package(output, result.files)
    return BuildResult(result.files, diagnostics, result.modules)


def find_use_case(modules: Sequence[ModuleIR], target: str) -> tuple[ModuleIR, UseCaseIR] | None:
    module_name, _, qualname = target.partition(":")
    for module in modules:
        if module.module == module_name:
            for uc in module.use_cases:
                if uc.qualname == qualname:
                    return module, uc
    return None


def explain(sources: Sequence[SourceFile], package: str, target: str) -> str:
    """The plan loomgen sees for ``MODULE:CLASS`` and the code it generates for it."""
    modules, diagnostics = analyse_sources(sources)
    found = find_use_case(modules, target)
    if found is None:
        related = [str(d) for d in diagnostics if target.partition(":")[2] in d.message]
        hint = ("\n" + "\n".join(related)) if related else ""
        raise LookupError(f"no generated executor for {target}{hint}")
    module, uc = found
    lines = [
        f"{uc.key}  ({uc.kind}, {'async' if uc.is_async else 'sync'} execute,"
        f" {'read-only' if uc.read_only else 'unit of work'})",
        f"  declared at {uc.location}; execute at {uc.execute_location}",
        f"  fingerprint {uc.fingerprint}",
        "  pipeline:",
    ]
    for p in uc.params:
        lines.append(f"    bind     {p.declaration}    [{p.location}]")
    if uc.input is not None:
        lines.append(f"    command  {uc.input.declaration}    [{uc.input.location}]")
    for load in uc.loads:
        lines.append(f"    load     {load.declaration}    [{load.location}]")
    for check in uc.exists:
        lines.append(f"    exists   {check.declaration}    [{check.location}]")
    for compute in uc.computes:
        lines.append(f"    compute  {compute.declaration}    [{compute.location}]")
    for rule in uc.rules:
        lines.append(f"    rule     {rule.declaration}    [{rule.location}]")
    lines.append("    execute")
    single = ModuleIR(module.module, module.path, (uc,))
    lines.extend(["", f"# generated into {package}/{module.module.replace('.', '/')}.py", ""])
    lines.append(render_module(single))
    return "\n".join(lines)
