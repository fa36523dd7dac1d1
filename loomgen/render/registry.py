"""The registry module of a generated package: one entry per use case."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from loom.core.engine.fingerprint import GENERATED_FORMAT
from loomgen import __version__
from loomgen.ir import ModuleIR
from loomgen.render.black_form import LINE_LENGTH, format_code, literal, plain_string
from loomgen.render.names import module_names
from loomgen.render.templates import environment

RegistryEntry = tuple[str, str, str, str]
"""``(key, module, function, fingerprint)`` of one registry line."""


def registry_entries(module: ModuleIR) -> list[RegistryEntry]:
    """The registry entries of one module's use cases.

    A use case left to the interpreter is listed as ``(key, "", digest, reason)``,
    ``digest`` being the module text's :func:`~loom.core.engine.fingerprint.source_digest`.
    """
    chosen = module_names(module).executors
    entries = [
        (uc.key, "." + module.module, chosen[uc.qualname], uc.fingerprint)
        for uc in module.use_cases
    ]
    entries.extend(
        (f"{module.module}:{skipped.qualname}", "", module.source_digest, skipped.reason)
        for skipped in module.interpreted
    )
    return entries


def render_registry_entries(entries: Iterable[RegistryEntry], sources: Iterable[str] = ()) -> str:
    """The registry module (``__init__.py``) listing ``entries``, black-formatted.

    Every entry is written exploded, with magic trailing commas, exactly as
    black leaves it, so the file needs no black run (the registry of a large
    project is its longest file); black formats it only when some literal
    would need escaping or a line would be too long. ``sources`` are the module
    names (packages stand for everything under them) the build read.
    """
    ordered = sorted(entries)
    rows = []
    interpreted = []
    digests: dict[str, str] = {}
    needs_black = False
    for entry in ordered:
        quoted = [plain_string(value) for value in entry]
        if any(value is None for value in quoted):
            needs_black = True
            quoted = [literal(value) for value in entry]
        key, module, function, fingerprint = quoted
        if not entry[1]:
            interpreted.append({"key": key, "reason": fingerprint})
            if entry[2]:
                digests[entry[0].partition(":")[0]] = entry[2]
            continue
        rows.append(
            {"key": key, "module": module, "function": function, "fingerprint": fingerprint}
        )
    code = (
        environment()
        .get_template("registry.py.jinja")
        .render(
            version=plain_string(__version__) or literal(__version__),
            format=GENERATED_FORMAT,
            entries=rows,
            interpreted=interpreted,
            digests=[
                {"module": plain_string(name) or literal(name), "digest": f'"{digest}"'}
                for name, digest in sorted(digests.items())
            ],
            sources=[plain_string(name) or literal(name) for name in sorted(set(sources))],
        )
    )
    limit = LINE_LENGTH
    if needs_black or any(len(line) > limit for line in code.splitlines()):
        return format_code(code, "__init__.py")
    return code


def render_registry(modules: Sequence[ModuleIR]) -> str:
    return render_registry_entries(
        entry for module in modules for entry in registry_entries(module)
    )
