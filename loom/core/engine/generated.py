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
import sys
from collections.abc import Callable, Mapping
from enum import StrEnum
from typing import Any

from loom.core.engine.fingerprint import (
    GENERATED_FORMAT,
    plan_fingerprint,
    source_digest,
    specialized_objects,
)
from loom.core.engine.plan import ExecutionPlan

# The mode and environment names are written once, in a stdlib-only module
# the pytest plugin reads too.
from loom.modes import DEFAULT_PACKAGE as DEFAULT_PACKAGE
from loom.modes import MODE_VARIABLE as MODE_VARIABLE
from loom.modes import PACKAGE_VARIABLE as PACKAGE_VARIABLE
from loom.modes import INPUTS_FILE
from loom.modes import ExecutionMode as ExecutionMode

GeneratedRun = Callable[..., Any]
"""An executor: the interpreter or a generated function; see :class:`~loom.core.engine.executor.Prepared`."""


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

_NOTHING = object()


def _module_file(module: str) -> str:
    """`` (path)`` of ``module``'s file, or nothing."""
    found = getattr(sys.modules.get(module), "__file__", None)
    return f" ({found})" if isinstance(found, str) else ""


def _live_text(module: str) -> str | None:
    """The source text of the imported ``module``, as its loader gives it."""
    loaded = sys.modules.get(module)
    loader = getattr(loaded, "__loader__", None)
    get_source = getattr(loader, "get_source", None)
    if get_source is None:
        return None
    try:
        text = get_source(module)
    except Exception:  # noqa: BLE001 - an unreadable source is only unverifiable
        return None
    return text if isinstance(text, str) else None


def _read_digest(module: str) -> str | None:
    text = _live_text(module)
    return None if text is None else source_digest(text)


def _class_statement(module: str, qualname: str) -> bool | None:
    """Whether ``module``'s source has a class statement giving ``qualname``
    (``None``: the source cannot be read or parsed)."""
    import ast

    text = _live_text(module)
    if text is None:
        return None
    try:
        tree = ast.parse(text)
    except (SyntaxError, ValueError):
        return None
    wanted = qualname.split(".")

    def search(body: list[ast.stmt], depth: int) -> bool:
        for node in body:
            if isinstance(node, ast.ClassDef):
                if node.name == wanted[depth] and (
                    depth + 1 == len(wanted) or search(node.body, depth + 1)
                ):
                    return True
            elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                continue  # its classes are <locals>
            else:
                for field in ("body", "orelse", "finalbody"):
                    inner = getattr(node, field, None)
                    if isinstance(inner, list) and search(inner, depth):
                        return True
                for handler in getattr(node, "handlers", ()):
                    if search(handler.body, depth):
                        return True
                for case in getattr(node, "cases", ()):
                    if search(case.body, depth):
                        return True
        return False

    return search(tree.body, 0)


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


INPUTS = INPUTS_FILE


def _recorded_reads(registry_file: object) -> dict[str, Mapping[str, object]]:
    """Per source module, the digest of each module the build read to compile
    its use cases (``{}`` when the package does not say)."""
    import json
    from pathlib import Path

    if not isinstance(registry_file, str):
        return {}
    try:
        with open(Path(registry_file).parent / INPUTS, encoding="utf-8") as stream:
            document = json.load(stream)
        modules = document["modules"]
        return {
            name: record["read"]
            for name, record in modules.items()
            if isinstance(record, dict) and isinstance(record.get("read"), dict)
        }
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return {}


class GeneratedExecutors:
    """The registry of one generated package, loaded on first use."""

    def __init__(self, package: str) -> None:
        self.package = package
        self._entries: Mapping[str, tuple[str, str, str]] | None = None
        self._interpreted: Mapping[str, object] = {}
        self._interpreted_sources: Mapping[str, object] = {}
        self._read: dict[str, Mapping[str, object]] | None = None
        self._vouched: dict[str, bool] = {}
        self._sources: tuple[str, ...] = ()
        self._digests: dict[str, str | None] = {}
        self._refusal: str | None = None
        self._folder: object = None
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
            if key in self._interpreted:
                return self._left(use_case, key, self._interpreted[key], self._interpreted_sources)
            return self._unseen(use_case, key)
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
            shadowed = self._shadowed(use_case, key)
            if shadowed is not None:
                return shadowed
            from loom.core.engine.shapes import what_changed

            changed = what_changed(self.package, module_name, plan) or "fingerprint mismatch"
            return Lookup(
                None,
                Status.STALE,
                f"generated executor for {key} is stale: {use_case.__qualname__} changed"
                f" since `loomgen build` ({changed})",
            )
        return module_name, function_name, fingerprint

    def vouches_for(self, use_case: type[Any]) -> bool:
        """Whether the registry lists ``use_case`` as compiled and every module the
        build read to compile it, among those imported, still reads as it did.

        Cheap looks, without a plan (the texts the build read are recorded, with
        their :func:`~loom.core.engine.fingerprint.source_digest`, in the package's
        ``_loomgen_inputs.json``): they let :meth:`RuntimeExecutor.prepare_all
        <loom.core.engine.executor.RuntimeExecutor.prepare_all>` leave the full
        check (:meth:`find`) to just before the class's first call. ``False``
        whenever anything is off or unknown, so that what :meth:`find` reports
        about an edited class is reported as early as without these looks.
        """
        qualname = use_case.__qualname__
        if "<locals>" in qualname:
            return False
        entries = self._load()
        if entries is None:
            return False
        entry = entries.get(f"{use_case.__module__}:{qualname}")
        if not (
            isinstance(entry, tuple) and len(entry) == 3 and all(isinstance(e, str) for e in entry)
        ):
            return False
        module = use_case.__module__
        vouched = self._vouched.get(module)
        if vouched is None:
            vouched = self._vouched[module] = self._reads_as_built(module)
        return vouched

    def _reads_as_built(self, module: str) -> bool:
        """Whether the build recorded what it read to compile ``module``'s use
        cases, and each of those modules that is imported reads the same today."""
        if self._read is None:
            self._read = _recorded_reads(self._folder)
        read = self._read.get(module)
        if not isinstance(read, Mapping) or module not in read:
            return False
        for name, digest in read.items():
            if name in sys.modules and self._live_digest(name) != digest:
                return False
        return True

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
            shadowed = self._shadowed(use_case, key)
            if shadowed is not None:
                return shadowed
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

    def _left(
        self, use_case: type[Any], key: str, reason: object, digests: Mapping[str, object]
    ) -> Lookup:
        """A use case the build recorded as left to the interpreter: trusted only
        while its module still reads as the build read it."""
        module = use_case.__module__
        digest = digests.get(module)
        if not isinstance(reason, str) or not isinstance(digest, str):
            return Lookup(
                None,
                Status.STALE,
                f"generated registry entry for {key} in {self.package} does not say why"
                " and from which source text the build left it to the interpreter"
                " (an older loomgen wrote it, or it was edited): run `loomgen build`",
            )
        live = self._live_digest(module)
        if live is not None and live != digest:
            return Lookup(
                None,
                Status.STALE,
                f"{key} changed since `loomgen build`: that build left it to the interpreter"
                f" ({reason}), but module {module} no longer reads as it did then (run"
                " `loomgen build`)",
            )
        return Lookup(None, Status.INTERPRETED, f"left to the interpreter by the build: {reason}")

    def _unseen(self, use_case: type[Any], key: str) -> Lookup:
        """Why no build listed ``use_case`` (neither compiled nor left to the interpreter)."""
        module, qualname = use_case.__module__, use_case.__qualname__
        where = _module_file(module)
        if not self._under_sources(module):
            listed = ", ".join(self._sources) or "none recorded"
            return Lookup(
                None,
                Status.MISSING,
                f"no build saw {key}: module {module}{where} is not under the sources of the"
                f" build that wrote {self.package} (they cover: {listed}); add it to"
                " [tool.loomgen] sources and run `loomgen build`",
            )
        statement = _class_statement(module, qualname)
        if statement is False:
            return Lookup(
                None,
                Status.INTERPRETED,
                f"{qualname} is not made by a class statement of {module}{where} (it is created"
                " while the module runs), where no build can see it",
            )
        return Lookup(
            None,
            Status.MISSING,
            f"{key} is not in {self.package}: module {module}{where} defines {qualname},"
            " which the last `loomgen build` did not list, so it was added or renamed since"
            " (run `loomgen build`); should a build not list it either, loomgen cannot see it"
            " (`loomgen check --verify` reports such classes)",
        )

    def _shadowed(self, use_case: type[Any], key: str) -> Lookup | None:
        """``None`` unless ``use_case`` is not the class its module holds under its
        name (defined twice, or rebound): the registry speaks for that other class."""
        module = sys.modules.get(use_case.__module__)
        if module is None:
            return None
        target: object = module
        for part in use_case.__qualname__.split("."):
            target = getattr(target, part, _NOTHING)
            if target is _NOTHING:
                break
        if target is use_case or target is _NOTHING:
            return None
        return Lookup(
            None,
            Status.INTERPRETED,
            f"{use_case.__module__}.{use_case.__qualname__} now names another object (this"
            " class was defined again or rebound under its name); the build compiles only"
            " what the name holds at the end of the module",
        )

    def _under_sources(self, module: str) -> bool:
        return any(module == root or module.startswith(root + ".") for root in self._sources)

    def _live_digest(self, module: str) -> str | None:
        if module not in self._digests:
            self._digests[module] = _read_digest(module)
        return self._digests[module]

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
        sources = getattr(registry, "SOURCES", ())
        digests = getattr(registry, "INTERPRETED_SOURCES", {})
        self._interpreted_sources = digests if isinstance(digests, Mapping) else {}
        self._folder = getattr(registry, "__file__", None)
        self._entries = entries
        self._interpreted = interpreted
        if isinstance(sources, (list, tuple)) and all(isinstance(name, str) for name in sources):
            self._sources = tuple(sources)
        return entries
