"""The registry module of a generated package: one entry per use case."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import NamedTuple

from loom.core.engine.fingerprint import GENERATED_FORMAT
from loomgen import __version__
from loomgen.ir import ModuleIR
from loomgen.render.black_form import LINE_LENGTH, format_code, literal, plain_string
from loomgen.render.names import module_names
from loomgen.render.templates import environment


class CompiledEntry(NamedTuple):
    """A use case the build compiled: where its executor lives, and what it was written for."""

    key: str
    """``module:qualname`` of the use case."""
    module: str
    """The executor's module, relative to the generated package (``.shop.usecases``)."""
    function: str
    """The executor's function name in that module."""
    fingerprint: str
    """The fingerprint of the plan shape the executor was written for."""


class InterpretedEntry(NamedTuple):
    """A use case the build saw and left to the interpreter."""

    key: str
    """``module:qualname`` of the use case."""
    reason: str
    """Why the build left it to the interpreter."""
    source_digest: str
    """:func:`~loom.core.engine.fingerprint.source_digest` of the use case module's text
    (the runtime trusts the entry only while the module still reads the same)."""


RegistryEntry = CompiledEntry | InterpretedEntry
"""One line of the registry."""


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


def entry_record(entry: RegistryEntry) -> dict[str, str]:
    """``entry`` as JSON-able data (the build's outcome records); see :func:`entry_from_record`."""
    return entry._asdict()


def entry_from_record(record: Mapping[str, str]) -> RegistryEntry:
    """The entry :func:`entry_record` wrote (``KeyError``/``TypeError`` when it is not one)."""
    if "reason" in record:
        return InterpretedEntry(**record)
    return CompiledEntry(**record)


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
