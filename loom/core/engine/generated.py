"""Finding, checking and loading the executors that loomgen generated.

A generated package (``generated`` unless ``LOOM_GENERATED`` says otherwise)
holds, in its ``__init__``, a registry that maps ``module:qualname`` to the
fingerprint of the plan the executor was written for and where the function
lives. Modules are imported only when a use case they serve is first
prepared, and an executor is used only when both its shape fingerprint and
the objects it bound match the live plan (see :mod:`.fingerprint`). All this
is checked once per use case class, never per call.
"""

from __future__ import annotations

import importlib
import os
from collections.abc import Callable, Mapping
from enum import StrEnum
from typing import Any

from loom.core.engine.fingerprint import GENERATED_FORMAT, plan_fingerprint, specialized_objects
from loom.core.engine.plan import ExecutionPlan

GeneratedRun = Callable[..., Any]
"""An executor: the interpreter or a generated function; see :class:`~loom.core.engine.executor.Prepared`."""

MODE_VARIABLE = "LOOM_EXECUTION_MODE"
PACKAGE_VARIABLE = "LOOM_GENERATED"
DEFAULT_PACKAGE = "generated"


class ExecutionMode(StrEnum):
    """How the executor chooses between generated code and the interpreter."""

    AUTO = "auto"
    """Use a generated executor when one fits the live plan, else interpret."""
    INTERPRETED = "interpreted"
    """Never use generated code."""
    GENERATED = "generated"
    """Always use generated code; a missing or stale executor is an error."""


class GeneratedCodeError(RuntimeError):
    """Generated code was required (``generated`` mode) but none fits."""


def resolve_mode(mode: ExecutionMode | str | None) -> ExecutionMode:
    """The mode given, else ``$LOOM_EXECUTION_MODE``, else ``auto`` (any case, spaces ignored)."""
    raw = mode if mode is not None else os.environ.get(MODE_VARIABLE, "")
    if isinstance(raw, ExecutionMode):
        return raw
    cleaned = raw.strip().lower() or ExecutionMode.AUTO.value
    try:
        return ExecutionMode(cleaned)
    except ValueError:
        choices = ", ".join(m.value for m in ExecutionMode)
        source = "execution_mode" if mode is not None else MODE_VARIABLE
        raise ValueError(f"{source}={raw!r} is not an execution mode (choose {choices})") from None


def resolve_package(package: str | None) -> tuple[str, bool]:
    """The package given, else ``$LOOM_GENERATED``, else ``generated``; and
    whether it was asked for explicitly (not the default name)."""
    chosen = package or os.environ.get(PACKAGE_VARIABLE, "").strip()
    return (chosen, True) if chosen else (DEFAULT_PACKAGE, False)


class Status(StrEnum):
    """What looking for a use case's generated executor found."""

    FRESH = "fresh"
    """A generated executor fits the live plan: it runs."""
    MISSING = "missing"
    """The registry does not list the use case."""
    STALE = "stale"
    """Generated code exists but must not run (it no longer fits)."""
    INTERPRETED = "interpreted"
    """The build left it to the interpreter, or no build can see it."""
    UNAVAILABLE = "unavailable"
    """The generated package cannot be imported or is not loomgen's."""


class Lookup:
    """Outcome of looking for a generated executor for one plan."""

    __slots__ = ("run", "status", "problem")

    def __init__(self, run: GeneratedRun | None, status: Status, problem: str | None) -> None:
        self.run = run
        self.status = status
        self.problem = problem


LOCALS_REASON = "defined inside a function, where no build can see it"


def _changed_declaration(live: tuple[object, ...], inlined: object) -> str | None:
    """The first compiled-in DSL declaration that no longer reads as it did at build
    time (``inlined``: ``(index, description, functions)`` per declaration)."""
    from loom.core.use_case.declaration import callables, describe

    if not isinstance(inlined, tuple):
        return "its declarations"
    for entry in inlined:
        index, description, functions = entry
        spec = live[index]
        now = callables(spec)
        if (
            describe(spec) != description
            or len(now) != len(functions)
            or any(a is not b for a, b in zip(now, functions, strict=False))
        ):
            return getattr(spec, "__name__", repr(spec))
    return None


class GeneratedExecutors:
    """The registry of one generated package, loaded on first use."""

    def __init__(self, package: str) -> None:
        self.package = package
        self._entries: Mapping[str, tuple[str, str, str]] | None = None
        self._interpreted: Mapping[str, str] = {}
        self._modules: frozenset[str] = frozenset()
        self._refusal: str | None = None
        self.present = False
        """Whether something that claims to be a generated package was found."""

    def registered(self, plan: ExecutionPlan) -> tuple[str, str, str] | Lookup:
        """Where the executor for ``plan`` lives, if the registry lists one whose
        fingerprint is the live plan's: ``(module, function, fingerprint)``; else why not.

        This is the first half of :meth:`find`; it imports only the registry.
        """
        use_case = plan.use_case_type
        key = f"{use_case.__module__}:{use_case.__qualname__}"
        if "<locals>" in use_case.__qualname__:
            return Lookup(None, Status.INTERPRETED, LOCALS_REASON)
        entries = self._load()
        if entries is None:
            assert self._refusal is not None
            return Lookup(None, Status.UNAVAILABLE, self._refusal)
        entry = entries.get(key)
        if entry is None:
            reason = self._interpreted.get(key)
            if isinstance(reason, str):
                return Lookup(None, Status.INTERPRETED, f"left to the interpreter: {reason}")
            if use_case.__module__ in self._modules:
                problem = (
                    f"no generated executor for {key} in {self.package}: the last"
                    f" `loomgen build` of {use_case.__module__} did not see"
                    f" {use_case.__qualname__} (run `loomgen build`)"
                )
            else:
                problem = (
                    f"no generated executor for {key} in {self.package}: module"
                    f" {use_case.__module__} is not among the sources loomgen built"
                    " (add it to [tool.loomgen] sources)"
                )
            return Lookup(None, Status.MISSING, problem)
        if not (
            isinstance(entry, tuple) and len(entry) == 3 and all(isinstance(e, str) for e in entry)
        ):
            return Lookup(
                None,
                Status.STALE,
                f"generated registry entry for {key} in {self.package} is malformed:"
                f" {entry!r} (run `loomgen build`)",
            )
        module_name, function_name, fingerprint = entry
        if fingerprint != plan_fingerprint(plan):
            from loom.core.engine.shapes import what_changed

            changed = what_changed(self.package, module_name, plan) or "fingerprint mismatch"
            return Lookup(
                None,
                Status.STALE,
                f"generated executor for {key} is stale: {use_case.__qualname__} changed"
                f" since `loomgen build` ({changed})",
            )
        return module_name, function_name, fingerprint

    def find(self, plan: ExecutionPlan) -> Lookup:
        """Return the executor for ``plan``, or why there is none usable."""
        found = self.registered(plan)
        if isinstance(found, Lookup):
            return found
        module_name, function_name, fingerprint = found
        use_case = plan.use_case_type
        key = f"{use_case.__module__}:{use_case.__qualname__}"
        try:
            module = importlib.import_module(module_name, self.package)
            run = getattr(module, function_name)
            written_for, bound, inlined = module.SPECIALIZED_ON[use_case.__qualname__]
        except Exception as error:
            return Lookup(
                None,
                Status.STALE,
                f"generated executor for {key} cannot be loaded from"
                f" {self.package}{module_name}: {type(error).__name__}: {error}",
            )
        if written_for != fingerprint:
            # A module older (or newer) than the registry: a build was cut
            # short, or the folder was assembled by hand.
            return Lookup(
                None,
                Status.STALE,
                f"generated executor for {key} does not match its registry entry"
                f" ({self.package}{module_name} is from another build): run `loomgen build`",
            )
        live = specialized_objects(plan)
        if len(bound) != len(live) or any(a is not b for a, b in zip(bound, live, strict=False)):
            return Lookup(
                None,
                Status.STALE,
                f"generated executor for {key} is stale: it was built for other objects"
                " (a compute, rule, entity, command or parameter type changed)",
            )
        changed = _changed_declaration(live, inlined)
        if changed is not None:
            return Lookup(
                None,
                Status.STALE,
                f"generated executor for {key} is stale: the declaration of {changed} changed"
                " since `loomgen build`",
            )
        return Lookup(run, Status.FRESH, None)

    def _load(self) -> Mapping[str, tuple[str, str, str]] | None:
        if self._entries is not None or self._refusal is not None:
            return self._entries
        try:
            registry = importlib.import_module(self.package)
        except ModuleNotFoundError as error:
            missing = error.name or ""
            if missing == self.package or self.package.startswith(missing + "."):
                self._refusal = f"generated package {self.package!r} is not importable"
                return None
            self.present = True
            self._refusal = f"generated package {self.package!r} failed to import: {error}"
            return None
        except Exception as error:
            self.present = True
            self._refusal = (
                f"generated package {self.package!r} failed to import:"
                f" {type(error).__name__}: {error}"
            )
            return None
        found_format = getattr(registry, "LOOMGEN_FORMAT", None)
        entries = getattr(registry, "EXECUTORS", None)
        if found_format is None and entries is None:
            # An empty folder or some other package: nothing generated here.
            self._refusal = f"{self.package!r} is not a package generated by loomgen"
            return None
        self.present = True
        interpreted = getattr(registry, "INTERPRETED", None)
        if (
            found_format != GENERATED_FORMAT
            or not isinstance(entries, Mapping)
            or not isinstance(interpreted, Mapping)
        ):
            writer = getattr(registry, "LOOMGEN_VERSION", "unknown")
            self._refusal = (
                f"generated package {self.package!r} was written by loomgen {writer} in"
                f" format {found_format!r}, but this loom runtime reads format"
                f" {GENERATED_FORMAT}: run `loomgen build` to regenerate it"
            )
            return None
        self._entries = entries
        self._interpreted = interpreted
        self._modules = frozenset(
            key.partition(":")[0] for key in (*entries, *interpreted) if isinstance(key, str)
        )
        return entries
