"""``loomgen explain``: the plan loomgen sees for one use case and the code it
generates for it."""

from __future__ import annotations

import difflib
from collections.abc import Sequence
from typing import TYPE_CHECKING

from loomgen.diagnostics import Diagnostic
from loomgen.discover import SourceFile
from loomgen.workers import analyse_sources

if TYPE_CHECKING:
    from loomgen.ir import ModuleIR, UseCaseIR


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
    from loomgen.ir import ModuleIR
    from loomgen.render import render_module

    modules, diagnostics = analyse_sources(sources, package)
    found = find_use_case(modules, target)
    module_name, _, qualname = target.partition(":")
    for candidate in modules:
        for skipped in candidate.interpreted:
            if candidate.module == module_name and skipped.qualname == qualname:
                return f"{target}: left to the interpreter: {skipped.reason}"
    if found is None:
        raise LookupError(_not_found(modules, diagnostics, target))
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


def _not_found(modules: Sequence[ModuleIR], diagnostics: Sequence[Diagnostic], target: str) -> str:
    """Why ``explain`` has nothing for ``target``: close names, or the problems about it."""
    module_name, _, qualname = target.partition(":")
    keys = sorted(f"{module.module}:{uc.qualname}" for module in modules for uc in module.use_cases)
    in_module = [key.partition(":")[2] for key in keys if key.partition(":")[0] == module_name]
    if in_module:
        close = difflib.get_close_matches(qualname, in_module, n=3, cutoff=0.5)
        where = f"class {qualname} not found among the use cases of {module_name}"
    else:
        close = difflib.get_close_matches(target, keys, n=3, cutoff=0.5)
        where = f"no use case {target} in the sources"
    message = f"{where}; did you mean {', '.join(close)}?" if close else where
    if in_module and not close:
        message += f" (its use cases: {', '.join(in_module)})"
    related = [str(d) for d in diagnostics if qualname and qualname in d.message]
    return "\n".join([message, *related])
