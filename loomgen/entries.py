"""The registry's entries: what a build records about each use case it saw.

A use case is either compiled (its executor's module, function and the
fingerprint it was written for) or left to the interpreter (why, and the
digest of its module's text). The build keeps them in its outcome records as
named fields (:func:`entry_record`); :mod:`loomgen.render.registry` writes
them into the registry module. Standard library only: a fully cached build
reads them without importing the back end.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import NamedTuple


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


def entry_record(entry: RegistryEntry) -> dict[str, str]:
    """``entry`` as JSON-able data (the build's outcome records); see :func:`entry_from_record`."""
    return entry._asdict()


def entry_from_record(record: Mapping[str, str]) -> RegistryEntry:
    """The entry :func:`entry_record` wrote (``KeyError``/``TypeError`` when it is not one)."""
    if "reason" in record:
        return InterpretedEntry(**record)
    return CompiledEntry(**record)


def is_entry_record(value: object) -> bool:
    """Whether ``value`` is what :func:`entry_record` writes."""
    return (
        isinstance(value, dict)
        and (
            value.keys() == set(InterpretedEntry._fields)
            or value.keys() == set(CompiledEntry._fields)
        )
        and all(isinstance(field, str) for field in value.values())
    )


__all__ = [
    "CompiledEntry",
    "InterpretedEntry",
    "RegistryEntry",
    "entry_from_record",
    "entry_record",
    "is_entry_record",
]
