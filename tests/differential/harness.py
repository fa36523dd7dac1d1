"""Differential harness: build use case sources with loomgen, run both modes, compare.

The interpreter is the oracle. :func:`check_sources` writes a source package
(``{relative path: text}``) into a fresh, uniquely named package, builds it
with loomgen into a fresh generated package, imports it, and runs every
:class:`Request` through two executors, one ``interpreted`` and one
``generated``, each wired to its own recording metrics, logger, unit-of-work
factory, repositories and resolver. Every observable outcome of a request must
be identical in both modes:

- the result (its ``repr``) or the exception (type, ``str``, cause type and
  ``str``, and for ``RuleViolations`` each violation's field and message);
- the metrics events (kind, use case, status, step, error type and ``str``);
- the log lines (level, event, fields except ``duration_ms``);
- every repository call (entity, method, arguments) in order;
- every unit-of-work call in order;
- the journal the source's own functions write to (:data:`TRACE`): what each
  compute, rule and ``execute`` saw (command, ``fields_set``, context).

Source modules call back into this module through :func:`finish`,
:func:`compute_step` and :func:`rule_step` so that their bodies stay one line
and their behaviour (violating a rule, raising, tagging the command) depends
only on the spec and on the values they receive.
"""

from __future__ import annotations

import asyncio
import importlib
import itertools
import os
import shutil
import sys
import tempfile
import zlib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType, ModuleType
from typing import Any

import pytest

from loom.core.engine import EventKind, RuntimeExecutor, UseCaseCompiler
from loom.core.errors import NotFound, RuleViolation, RuleViolations
from loomgen.build import build_package
from tests.support import RecordingLogger, RecordingMetrics, without_duration

# -- what the source modules call ------------------------------------------------

TRACE: list[tuple[Any, ...]] = []
"""Everything the sources' computes, rules and ``execute`` methods saw, in order."""


def pick(salt: str, *values: Any) -> bool:
    """A deterministic coin flip on the values a function received."""
    return zlib.crc32(f"{salt}{values!r}".encode("utf-8", "backslashreplace")) % 3 == 0


def _fields(fields_set: Any) -> Any:
    try:
        return sorted(fields_set)
    except TypeError:
        return repr(fields_set)


def _context(context: Any) -> Any:
    if isinstance(context, Mapping):
        return [(key, repr(value)) for key, value in context.items()]
    return repr(context)


def finish(name: str, arguments: dict[str, Any], fail: str = "never") -> tuple[Any, ...]:
    """The body of every generated ``execute``: record, maybe fail, return the arguments."""
    arguments = {key: value for key, value in arguments.items() if key != "self"}
    TRACE.append(("execute", name, [(key, repr(value)) for key, value in arguments.items()]))
    if fail == "always" or (fail == "pick" and pick(name, arguments)):
        raise LookupError(f"{name}.execute refused {sorted(arguments)}")
    return (name, tuple(arguments.items()))


def compute_step(name: str, mode: str, cmd: Any, fields_set: Any, context: Any) -> Any:
    """The body of every compute."""
    TRACE.append(("compute", name, repr(cmd), _fields(fields_set), _context(context)))
    if mode == "identity":
        return cmd
    if mode == "none":
        return None
    if mode == "raise_pick" and pick(name, cmd, _fields(fields_set)):
        raise ValueError(f"compute {name} refused {cmd!r}")
    fields = getattr(type(cmd), "model_fields", None)
    if not fields:
        return cmd
    first = sorted(fields)[0]
    label = f"{name}:{_fields(fields_set)}"
    if mode == "tag_context" and isinstance(context, Mapping):
        label += f":{sorted(context)}"
    return cmd.model_copy(update={first: f"{getattr(cmd, first)!r}+{label}"})


def rule_step(name: str, mode: str, cmd: Any, fields_set: Any, context: Any) -> None:
    """The body of every rule."""
    TRACE.append(("rule", name, repr(cmd), _fields(fields_set), _context(context)))
    fields = _fields(fields_set)
    if mode == "ok":
        return
    if mode == "violate":
        raise RuleViolation(name, f"always violated ({fields})")
    if mode == "violate_pick":
        if pick(name, cmd, fields):
            raise RuleViolation("field", f"{name} violated by {cmd!r}")
        return
    if mode == "violate_if_empty":
        if not fields:
            raise RuleViolation(name, "nothing was sent")
        return
    if mode == "value_error_pick":
        if pick(name, cmd, fields):
            raise ValueError(f"rule {name} crashed on {cmd!r}")
        return
    if mode == "key_error":
        raise KeyError(name)
    if mode == "not_found":
        raise NotFound(name, id=fields)
    if mode == "violations":
        raise RuleViolations([RuleViolation(name, "a"), RuleViolation(name, "b")])
    raise AssertionError(f"unknown rule mode {mode}")


# -- requests --------------------------------------------------------------------


@dataclass(frozen=True)
class Hit:
    """What a scripted repository returns for a found entity."""

    entity: str
    method: str
    args: tuple[Any, ...]


HIT = "hit"
MISS = "miss"
ERROR = "error"


@dataclass(frozen=True)
class Raw:
    """A raw value a scripted repository returns as it is."""

    value: Any


@dataclass(frozen=True)
class RepoSpec:
    """How one entity's repository is provided for a request.

    ``how``: ``dep`` (in ``dependencies``), ``resolver`` (from the executor's
    ``repo_resolver``), ``none_dep`` (``dependencies[E] = None``, then the
    resolver), ``absent`` (nowhere). ``answers`` are consumed one per call
    (``HIT``, ``MISS``, ``ERROR`` or :class:`Raw`); once used up, ``otherwise``.
    """

    entity: str
    how: str = "dep"
    answers: tuple[Any, ...] = ()
    otherwise: str = MISS


@dataclass(frozen=True)
class Request:
    """One call of ``executor.execute`` on the use case class named ``use_case``.

    ``params_as``: ``dict``, ``proxy`` (a read-only mapping), ``none`` (pass
    ``None``), ``list`` (pass ``list(params.items())``, not a mapping).
    ``payload_as``: ``value`` (as given, may be ``None`` or any object) or
    ``proxy`` (a read-only mapping of the given dict). ``overrides`` maps
    entity names to override values (``load_overrides``).
    """

    use_case: str
    params: Any = None
    params_as: str = "dict"
    payload: Any = None
    payload_as: str = "value"
    repos: tuple[RepoSpec, ...] = ()
    overrides: tuple[tuple[str, Any], ...] = ()
    no_dependencies: bool = False
    read_only: bool = False
    fail_commit: bool = False
    fail_rollback: bool = False


# -- recording doubles -----------------------------------------------------------


class ScriptedRepository:
    """Answers from a script and records every call into a shared journal."""

    def __init__(
        self, entity: str, answers: tuple[Any, ...], journal: list[Any], otherwise: str = MISS
    ) -> None:
        self.entity = entity
        self.answers = list(answers)
        self.journal = journal
        self.otherwise = otherwise

    def _answer(self, method: str, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
        self.journal.append((self.entity, method, repr(args), repr(kwargs)))
        answer = self.answers.pop(0) if self.answers else self.otherwise
        if answer == ERROR:
            raise ConnectionError(f"{self.entity} repository down during {method}")
        if isinstance(answer, Raw):
            return answer.value
        if method == "exists_by":
            return answer == HIT
        return Hit(self.entity, method, args) if answer == HIT else None

    async def get_by_id(self, value: Any, *, profile: str) -> Any:
        return self._answer("get_by_id", (value,), {"profile": profile})

    async def get_by(self, field: str, value: Any, *, profile: str) -> Any:
        return self._answer("get_by", (field, value), {"profile": profile})

    async def exists_by(self, field: str, value: Any) -> Any:
        return self._answer("exists_by", (field, value), {})


class ScriptedUnitOfWork:
    def __init__(self, factory: ScriptedUnitOfWorkFactory) -> None:
        self.factory = factory

    async def begin(self) -> None:
        self.factory.journal.append("begin")

    async def commit(self) -> None:
        self.factory.journal.append("commit")
        if self.factory.fail_commit:
            raise OSError("commit failed")

    async def rollback(self) -> None:
        self.factory.journal.append("rollback")
        if self.factory.fail_rollback:
            raise OSError("rollback failed")


class ScriptedUnitOfWorkFactory:
    """A unit-of-work factory whose failures are set per request."""

    def __init__(self) -> None:
        self.journal: list[str] = []
        self.fail_commit = False
        self.fail_rollback = False

    def create(self) -> ScriptedUnitOfWork:
        self.journal.append("create")
        return ScriptedUnitOfWork(self)


class Rig:
    """One executor (one mode) and its recorders, reused for every request."""

    def __init__(self, mode: str, package: str | None, debug: bool) -> None:
        self.mode = mode
        self.metrics = RecordingMetrics()
        self.logger = RecordingLogger()
        self.uow = ScriptedUnitOfWorkFactory()
        self.resolvable: dict[type[Any], Any] = {}
        self.executor = RuntimeExecutor(
            UseCaseCompiler(logger=RecordingLogger()),
            uow_factory=self.uow,
            logger=self.logger,
            metrics=self.metrics,
            repo_resolver=self.resolvable.get,
            debug_execution=debug,
            execution_mode=mode,
            generated_package=package,
        )

    def reset(self) -> None:
        self.metrics.events.clear()
        self.logger.lines.clear()
        self.uow.journal.clear()
        self.resolvable.clear()


# -- outcomes --------------------------------------------------------------------


def describe_error(error: BaseException) -> tuple[Any, ...]:
    cause = error.__cause__
    described: tuple[Any, ...] = (
        type(error).__qualname__,
        str(error),
        None if cause is None else (type(cause).__qualname__, str(cause)),
    )
    if isinstance(error, RuleViolations):
        described += (tuple((v.field, v.message) for v in error.violations),)
    return described


@dataclass
class Outcome:
    result: Any = None
    error: Any = None
    events: list[Any] = field(default_factory=list)
    logs: list[Any] = field(default_factory=list)
    repository_calls: list[Any] = field(default_factory=list)
    unit_of_work: list[Any] = field(default_factory=list)
    trace: list[Any] = field(default_factory=list)

    def parts(self) -> dict[str, Any]:
        return {
            "result": self.result,
            "error": self.error,
            "events": self.events,
            "logs": self.logs,
            "repository calls": self.repository_calls,
            "unit of work calls": self.unit_of_work,
            "trace": self.trace,
        }


def _log_fields(fields: dict[str, Any]) -> list[tuple[str, str]]:
    return [(key, repr(value)) for key, value in fields.items() if key != "duration_ms"]


async def run_request(rig: Rig, module: Any, request: Request) -> Outcome:
    """Run one request through ``rig`` and record everything observable."""
    rig.reset()
    TRACE.clear()
    journal: list[Any] = []
    dependencies: dict[type[Any], Any] | None = {}
    for spec in request.repos:
        entity = getattr(module, spec.entity)
        repository = ScriptedRepository(spec.entity, spec.answers, journal, spec.otherwise)
        if spec.how == "dep":
            dependencies[entity] = repository
        elif spec.how == "resolver":
            rig.resolvable[entity] = repository
        elif spec.how == "none_dep":
            dependencies[entity] = None
            rig.resolvable[entity] = repository
    if request.no_dependencies:
        dependencies = None
    overrides = None
    if request.overrides:
        overrides = {getattr(module, name): value for name, value in request.overrides}
    params: Any = request.params
    if request.params_as == "proxy":
        params = MappingProxyType(dict(params or {}))
    elif request.params_as == "none":
        params = None
    elif request.params_as == "list":
        params = list((params or {}).items())
    payload: Any = request.payload
    if request.payload_as == "proxy" and isinstance(payload, dict):
        payload = MappingProxyType(payload)
    rig.uow.fail_commit = request.fail_commit
    rig.uow.fail_rollback = request.fail_rollback

    outcome = Outcome()
    use_case = getattr(module, request.use_case)()
    try:
        result = await rig.executor.execute(
            use_case,
            params=params,
            payload=payload,
            dependencies=dependencies,
            load_overrides=overrides,
            read_only=request.read_only,
        )
    except Exception as error:  # noqa: BLE001 - compared between modes
        outcome.error = describe_error(error)
    else:
        outcome.result = repr(result)
    outcome.events = [
        (
            event.kind.value,
            event.use_case_name,
            event.status,
            event.step_name,
            event.trace_id,
            None if event.error is None else describe_error(event.error),
        )
        for event in rig.metrics.events
    ]
    outcome.logs = [
        (line.level, without_duration(line.event), _log_fields(line.fields))
        for line in rig.logger.lines
    ]
    outcome.repository_calls = journal
    outcome.unit_of_work = list(rig.uow.journal)
    outcome.trace = list(TRACE)
    return outcome


# -- building ---------------------------------------------------------------------

_COUNTER = itertools.count()


class Workspace:
    """A temporary folder on ``sys.path`` holding every built example."""

    def __init__(self) -> None:
        self.root = Path(tempfile.mkdtemp(prefix="loom-robustness-"))
        sys.path.insert(0, str(self.root))

    def close(self) -> None:
        if str(self.root) in sys.path:
            sys.path.remove(str(self.root))
        shutil.rmtree(self.root, ignore_errors=True)

    def names(self, suffix: str = "") -> tuple[str, str]:
        """Fresh, unique (source package, generated package) import names."""
        number = next(_COUNTER)
        return f"lsrc_{os.getpid()}_{number}{suffix}", f"lgen_{os.getpid()}_{number}{suffix}"


@pytest.fixture(scope="module")
def workspace() -> Iterator[Workspace]:
    """A temporary folder on ``sys.path`` for the packages the tests build."""
    space = Workspace()
    try:
        yield space
    finally:
        space.close()


@dataclass
class Built:
    package: str
    generated: str
    modules: dict[str, ModuleType]
    diagnostics: list[str]
    folder: Path
    generated_folder: Path


class Namespace:
    """Names looked up in the main module, then in the package's other modules."""

    def __init__(self, built: Built, main: str) -> None:
        self.modules = [built.modules[main]] + [
            m for name, m in sorted(built.modules.items()) if name != main
        ]

    def __getattr__(self, name: str) -> Any:
        first, *rest = name.split(".")  # a nested class: ``Box.UC``
        for module in self.modules:
            if hasattr(module, first):
                found = getattr(module, first)
                for part in rest:
                    found = getattr(found, part)
                return found
        raise AttributeError(name)


def _forget(*packages: str) -> None:
    for name in list(sys.modules):
        if any(name == p or name.startswith(p + ".") for p in packages):
            del sys.modules[name]


class BuildFailed(AssertionError):
    pass


OUTSIDE = "__LIB__"
"""In source texts, the import name of the package of :func:`build`'s ``outside`` files."""


def build(
    workspace: Workspace,
    sources: Mapping[str, str],
    *,
    suffix: str = "",
    encoding: str = "utf-8",
    outside: Mapping[str, str] | None = None,
) -> Built:
    """Write ``sources`` as a fresh package, build it with loomgen, import every module.

    ``sources`` maps paths relative to the package folder (``ucs.py``) to text;
    ``__init__.py`` is added when missing. Sources must import their siblings
    relatively, since the package name is made up here (``suffix`` is appended
    to it and to the generated package's name). ``outside`` files go into a
    package beside it that the build does not compile (it may read them);
    ``__LIB__`` in any text is that package's name.
    """
    package, generated = workspace.names(suffix)
    folder = workspace.root / package
    folder.mkdir()
    if outside:
        library = f"{package}_lib"
        sources = {k: v.replace(OUTSIDE, library) for k, v in sources.items()}
        for relative, text in {"__init__.py": "", **outside}.items():
            target = workspace.root / library / relative
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(text.replace(OUTSIDE, library), encoding=encoding)
    files = dict(sources)
    files.setdefault("__init__.py", "")
    for relative, text in files.items():
        target = folder / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding=encoding)
    output = workspace.root / generated
    result = build_package([folder], output, root=workspace.root)
    diagnostics = [str(d) for d in result.diagnostics]
    if not result.files:
        raise BuildFailed("loomgen refused the sources:\n" + "\n".join(diagnostics))
    importlib.invalidate_caches()
    modules = {}
    for relative in sorted(files):
        if not relative.endswith(".py"):
            continue
        dotted = relative[: -len(".py")].replace("/", ".")
        if dotted.endswith("__init__"):
            dotted = dotted[: -len("__init__")].rstrip(".")
        name = f"{package}.{dotted}" if dotted else package
        modules[dotted or "__init__"] = importlib.import_module(name)
    return Built(package, generated, modules, diagnostics, folder, output)


def discard(workspace: Workspace, built: Built) -> None:
    _forget(built.package, built.generated, f"{built.package}_lib")
    shutil.rmtree(built.folder, ignore_errors=True)
    shutil.rmtree(workspace.root / f"{built.package}_lib", ignore_errors=True)
    shutil.rmtree(built.generated_folder, ignore_errors=True)


def _render_request(request: Request) -> str:
    return repr(request)


def compare(
    interpreted: Outcome, generated: Outcome, request: Request, sources: Mapping[str, str]
) -> None:
    """Raise an AssertionError naming every part that differs."""
    left, right = interpreted.parts(), generated.parts()
    differing = [name for name in left if left[name] != right[name]]
    if not differing:
        return
    lines = [f"interpreted and generated modes differ on {', '.join(differing)}"]
    lines.append(f"request: {_render_request(request)}")
    for name in differing:
        lines.append(f"-- {name}")
        lines.append(f"   interpreted: {left[name]!r}")
        lines.append(f"   generated:   {right[name]!r}")
    for relative, text in sources.items():
        lines.append(f"-- source {relative}:\n{text}")
    raise AssertionError("\n".join(lines))


async def _drive(
    built: Built,
    requests: list[Request],
    sources: Mapping[str, str],
    debug: bool,
    module: str,
    use_cases: list[str] | None,
    allow_left: bool = False,
) -> list[str]:
    labels: list[str] = []
    target = Namespace(built, module)
    interpreted = Rig("interpreted", None, debug)
    generated = Rig("generated", built.generated, debug)
    # Preparing (compile + generated lookup) must agree: a use case the
    # interpreter accepts must have a fresh generated executor, or (with
    # ``allow_left``) be reported as left to the interpreter, with the reason.
    names = use_cases or sorted({r.use_case for r in requests})
    for name in names:
        cls = getattr(target, name)
        outcomes = []
        for rig in (interpreted, generated):
            rig.metrics.events.clear()
            try:
                outcomes.append(("ok", rig.executor.uses_generated(cls)))
            except Exception as error:  # noqa: BLE001
                outcomes.append(("error", describe_error(error)))
        (left_kind, left), (right_kind, right) = outcomes
        if left_kind == "ok" and allow_left and (right_kind, right) == ("ok", False):
            reported = [
                (event.status, event.reason)
                for event in generated.metrics.events
                if event.kind is EventKind.GENERATED_FALLBACK
            ]
            assert len(reported) == 1 and reported[0][0] == "interpreted" and reported[0][1], (
                f"{name}: interpreted in generated mode without a reason: {reported}\n"
                + "\n".join(f"-- {k}:\n{v}" for k, v in sources.items())
            )
            labels.append(f"left: {reported[0][1]}")
        elif left_kind == "ok":
            assert left is False
            assert (right_kind, right) == ("ok", True), (
                f"{name}: the interpreter prepares it but generated mode fails: {right!r}\n"
                + "\n".join(f"-- {k}:\n{v}" for k, v in sources.items())
                + "\n-- diagnostics:\n"
                + "\n".join(built.diagnostics)
            )
        else:
            assert (
                right_kind == "error" and left == right
            ), f"{name}: preparing differs: interpreted {left!r}, generated {right!r}"
    for request in requests:
        cls = getattr(target, request.use_case)
        try:
            interpreted.executor.prepare(cls)
        except Exception:  # noqa: BLE001 - both modes refused it identically above
            labels.append("not compiled")
            continue
        first = await run_request(interpreted, target, request)
        second = await run_request(generated, target, request)
        compare(first, second, request, sources)
        labels.append("result" if first.error is None else first.error[0])
    return labels


def check_sources(
    workspace: Workspace,
    sources: Mapping[str, str],
    requests: list[Request],
    *,
    debug: bool = False,
    module: str = "ucs",
    use_cases: list[str] | None = None,
    allow_diagnostics: bool = False,
    suffix: str = "",
    encoding: str = "utf-8",
    outside: Mapping[str, str] | None = None,
    allow_left: bool = False,
) -> list[str]:
    """Build ``sources`` and check that both modes agree on every request.

    Returns, per request, ``"result"`` or the name of the error both raised
    (and, per use case left to the interpreter, ``"left: <reason>"``).
    ``allow_left``: a use case may be left to the interpreter, provided the
    build warns about it and the runtime reports it with the reason (the
    only diagnostics then allowed are those warnings).
    """
    built = build(workspace, sources, suffix=suffix, encoding=encoding, outside=outside)
    try:
        if not allow_diagnostics:
            unexpected = [
                d
                for d in built.diagnostics
                if not (allow_left and d.endswith("(left to the interpreter)"))
            ]
            assert not unexpected, "loomgen reported problems:\n" + "\n".join(unexpected)
        return asyncio.run(
            _drive(built, requests, sources, debug, module, use_cases, allow_left)
        )
    finally:
        discard(workspace, built)
