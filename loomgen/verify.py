"""``loomgen check --verify``: would the runtime accept what the build compiled?

The build reads sources without running them; the runtime decides from the
live classes. Where the two readings disagree, the runtime refuses the
executor (``generated`` mode stops, ``auto`` interprets and warns). This
module runs in a child process (``python -m loomgen.verify``, a request as
JSON on stdin): it imports every source module, prepares every use case class
they define with a ``generated``-mode :class:`~loom.core.engine.RuntimeExecutor`
and reports, as JSON on stdout, each class the runtime would refuse, with
the live plan's shape (the parent, which has the build's reading, names the
first fact where they differ) and the first object that differs.

It needs only the runtime (``loom``), never the ``gen`` extra.
"""

from __future__ import annotations

import importlib
import inspect
import json
import sys
import traceback
from collections.abc import Iterator, Mapping
from typing import Any

Request = Mapping[str, Any]


def differences(built: object, live: object, path: str = "") -> Iterator[str]:
    """Every place where two plan shapes differ, as ``path: build X, runtime Y``."""
    if isinstance(built, Mapping) and isinstance(live, Mapping):
        for key in sorted(set(built) | set(live), key=str):
            where = f"{path}.{key}" if path else str(key)
            if key not in live:
                yield f"{where}: the build read {built[key]!r}, the runtime has nothing"
            elif key not in built:
                yield f"{where}: the build read nothing, the runtime has {live[key]!r}"
            else:
                yield from differences(built[key], live[key], where)
        return
    if isinstance(built, (list, tuple)) and isinstance(live, (list, tuple)):
        if len(built) != len(live):
            yield f"{path}: the build read {list(built)!r}, the runtime has {list(live)!r}"
            return
        for index, (one, other) in enumerate(zip(built, live, strict=True)):
            yield from differences(one, other, f"{path}[{index}]")
        return
    if built != live:
        yield f"{path}: the build read {built!r}, the runtime has {live!r}"


def _classes(owner: object, module: str, seen: set[int]) -> Iterator[type[Any]]:
    """Every class defined in ``module`` reachable from ``owner``'s namespace
    (nested classes included)."""
    for value in list(vars(owner).values()):
        if not inspect.isclass(value) or id(value) in seen:
            continue
        if getattr(value, "__module__", None) != module:
            continue
        seen.add(id(value))
        yield value
        yield from _classes(value, module, seen)


def _runnable(candidate: type[Any]) -> bool:
    from loom.core.job import Job
    from loom.core.use_case import UseCase

    if not issubclass(candidate, (UseCase, Job)) or candidate in (UseCase, Job):
        return False
    execute = getattr(candidate, "execute", None)
    return execute is not None and not getattr(execute, "__isabstractmethod__", False)


def live_shape(plan: Any) -> Any:
    """The live plan's shape, as plain JSON data."""
    from loom.core.engine.fingerprint import plan_shape

    return json.loads(json.dumps(plan_shape(plan), default=repr))


def _objects_fact(candidate: type[Any], plan: Any, package: str) -> str:
    """Where the objects the generated module bound and the live plan's part ways."""
    from loom.core.engine.fingerprint import specialized_objects

    key = f"{candidate.__module__}:{candidate.__qualname__}"
    try:
        registry = importlib.import_module(package)
        module_name = registry.EXECUTORS[key][0]
        bound = importlib.import_module(module_name, package).SPECIALIZED_ON[
            candidate.__qualname__
        ][1]
    except Exception:  # noqa: BLE001 - the reason already says it cannot be loaded
        return "the generated module cannot be loaded"
    live = specialized_objects(plan)
    for index, (one, other) in enumerate(zip(bound, live, strict=False)):
        if one is not other:
            return (
                f"object {index}: the generated code binds {one!r}, the live plan holds {other!r}"
            )
    if len(bound) != len(live):
        return f"the generated code binds {len(bound)} objects, the live plan {len(live)}"
    return "a compiled-in declaration reads differently"


def verify(request: Request) -> dict[str, Any]:
    """Prepare every use case class of ``request["modules"]`` in ``generated`` mode."""
    from loom.core.engine import GeneratedCodeError, RuntimeExecutor, UseCaseCompiler
    from loom.core.engine.generated import GeneratedExecutors, Status
    import logging
    from loom.core.logger import StdlibLogger

    quiet = StdlibLogger(logging.getLogger("loomgen.verify"))
    quiet.stdlib.disabled = True

    package: str = request["package"]
    refused: list[list[Any]] = []
    left: list[list[str]] = []
    generated: list[str] = []
    broken: list[list[str]] = []
    compiler = UseCaseCompiler(logger=quiet)
    executor = RuntimeExecutor(
        compiler, logger=quiet, execution_mode="generated", generated_package=package
    )
    registry = GeneratedExecutors(package)
    for module_name in request["modules"]:
        try:
            module = importlib.import_module(module_name)
        except BaseException as error:  # noqa: BLE001 - reported, never raised
            lines = traceback.format_exception_only(type(error), error)
            broken.append([module_name, "".join(lines).strip()])
            continue
        for candidate in _classes(module, module_name, set()):
            if not _runnable(candidate):
                continue
            key = f"{module_name}:{candidate.__qualname__}"
            try:
                plan = compiler.compile(candidate)
            except Exception:  # noqa: BLE001 - not a use case the runtime can run
                continue
            try:
                prepared = executor.prepare(candidate)
            except GeneratedCodeError as error:
                stale = registry.find(plan).status is Status.STALE
                refused.append(
                    [
                        key,
                        str(error),
                        live_shape(plan) if stale else None,
                        _objects_fact(candidate, plan, package) if stale else "",
                    ]
                )
                continue
            if prepared.generated:
                generated.append(key)
            else:
                left.append([key, prepared.reason or ""])
    return {"generated": generated, "left": left, "refused": refused, "broken": broken}


def main() -> None:
    request = json.load(sys.stdin)
    for folder in reversed(request.get("path", [])):
        if folder not in sys.path:
            sys.path.insert(0, folder)
    report = sys.stdout
    sys.stdout = sys.stderr  # what the sources print at import stays out of the report
    try:
        found = verify(request)
    finally:
        sys.stdout = report
    json.dump(found, report)


if __name__ == "__main__":
    main()
