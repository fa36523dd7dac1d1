"""The registry module of a generated package: one entry per use case."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from loom.core.engine.fingerprint import GENERATED_FORMAT
from loomgen import __version__
from loomgen.entries import CompiledEntry, InterpretedEntry, RegistryEntry
from loomgen.ir import ModuleIR
from loomgen.render.black_form import LINE_LENGTH, format_code, literal, plain_string
from loomgen.render.names import module_names
from loomgen.render.templates import environment


def registry_entries(module: ModuleIR) -> list[RegistryEntry]:
    """The registry entries of one module's use cases."""
    chosen = module_names(module).executors
    digest = module.source_digest
    entries: list[RegistryEntry] = [
        CompiledEntry(uc.key, "." + module.module, chosen[uc.qualname], uc.fingerprint)
        for uc in module.use_cases
    ]
    entries.extend(
        InterpretedEntry(f"{module.module}:{skipped.qualname}", skipped.reason, digest)
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
    rows = []
    interpreted = []
    digests: dict[str, str] = {}
    needs_black = False

    def quote(value: str) -> str:
        nonlocal needs_black
        plain = plain_string(value)
        if plain is None:
            needs_black = True
            return literal(value)
        return plain

    for entry in sorted(entries, key=lambda entry: entry.key):
        if isinstance(entry, InterpretedEntry):
            if entry.source_digest:
                digests[entry.key.partition(":")[0]] = entry.source_digest
            interpreted.append({"key": quote(entry.key), "reason": quote(entry.reason)})
            continue
        rows.append(
            {
                "key": quote(entry.key),
                "module": quote(entry.module),
                "function": quote(entry.function),
                "fingerprint": quote(entry.fingerprint),
            }
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
