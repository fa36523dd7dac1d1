"""Start a worker: configuration, the executor, and one Celery task per job.

:func:`bootstrap_worker` reads the configuration files (merged left to
right), finds the job classes (given, or discovered from modules the
configuration names), applies the ``jobs`` overrides to their routing class
variables, builds a :class:`~loom.core.engine.RuntimeExecutor` (generated
executors when present, per ``LOOM_EXECUTION_MODE``/``LOOM_GENERATED``),
prepares every job at once (a job that cannot compile, or a stale generated
executor in generated mode, stops the worker at startup rather than at its
first message) and registers the tasks.

Configuration files are YAML (PyYAML), TOML or JSON, by extension. String
values may read the environment as ``${oc.env:NAME}`` or
``${oc.env:NAME,default}``. Sections::

    celery:                      # CeleryConfig, required
      broker_url: "redis://127.0.0.1:6379/0"
    jobs:                        # JobConfig per job class name, optional
      SendEmail: {queue: "email", retries: 3}
    app:                         # optional: where to find jobs and callbacks
      discovery:
        mode: modules            # or: manifest
        modules: {include: ["myapp.jobs"]}
        manifest: {module: "myapp.worker_manifest"}   # its JOBS and CALLBACKS lists

loom-kernel passes a DI container to ``modules``; here each module receives
the :class:`WorkerSetup` and fills in what the worker's executor needs:
repositories, the unit of work factory, how to build job instances, hooks
that open and close resources on the worker's event loop.
"""

from __future__ import annotations

import importlib
import inspect
import json
import os
import re
import tomllib
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, TypeVar

from celery import Celery
from celery.signals import task_unknown, worker_process_shutdown, worker_shutdown
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from loom.celery.config import (
    CeleryConfig,
    JobConfig,
    apply_job_config,
    create_celery_app,
    declare_queues,
)
from loom.celery.constants import WorkerManifestAttr
from loom.celery.runner import (
    JobFactory,
    WorkerLoop,
    make_callback_error_task,
    make_callback_task,
    make_job_task,
    report_unknown_task,
)
from loom.core.engine import RuntimeExecutor, UseCaseCompiler
from loom.core.engine.metrics import MetricsAdapter
from loom.core.job.job import Job
from loom.core.logger import LoggerPort, get_logger
from loom.core.uow.abc import UnitOfWorkFactory

_T = TypeVar("_T")
_ModelT = TypeVar("_ModelT", bound=BaseModel)


class WorkerConfigError(ValueError):
    """A worker configuration file is missing, unreadable or wrong."""


# -- configuration files ------------------------------------------------------------

_ENV = re.compile(r"\$\{oc\.env:([A-Za-z_][A-Za-z0-9_]*)(?:,([^}]*))?\}")


def _interpolate(value: Any, where: str) -> Any:
    if isinstance(value, str):

        def substitute(match: re.Match[str]) -> str:
            name, default = match.group(1), match.group(2)
            found = os.environ.get(name)
            if found is not None:
                return found
            if default is not None:
                return default.strip()
            raise WorkerConfigError(f"{where}: environment variable {name} is not set")

        return _ENV.sub(substitute, value)
    if isinstance(value, dict):
        return {k: _interpolate(v, f"{where}.{k}") for k, v in value.items()}
    if isinstance(value, list):
        return [_interpolate(v, f"{where}[{i}]") for i, v in enumerate(value)]
    return value


def _read_file(path: Path) -> dict[str, Any]:
    if not path.is_file():
        raise WorkerConfigError(f"worker configuration {path} does not exist")
    suffix = path.suffix.lower()
    text = path.read_text(encoding="utf-8")
    try:
        if suffix in (".yaml", ".yml"):
            try:
                import yaml
            except ImportError as exc:
                raise WorkerConfigError(
                    f"{path}: reading YAML needs PyYAML (pip install pyyaml), "
                    "or write the configuration as TOML or JSON"
                ) from exc
            data = yaml.safe_load(text)
        elif suffix == ".toml":
            data = tomllib.loads(text)
        elif suffix == ".json":
            data = json.loads(text)
        else:
            raise WorkerConfigError(
                f"{path}: unknown configuration format {suffix!r} (.yaml, .yml, .toml or .json)"
            )
    except WorkerConfigError:
        raise
    except Exception as exc:
        raise WorkerConfigError(f"{path}: cannot be parsed: {exc}") from exc
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise WorkerConfigError(f"{path}: the top level must be a mapping of sections")
    return data


def _merge(base: dict[str, Any], override: Mapping[str, Any]) -> dict[str, Any]:
    merged = dict(base)
    for key, value in override.items():
        if isinstance(value, Mapping) and isinstance(merged.get(key), dict):
            merged[key] = _merge(merged[key], value)
        else:
            merged[key] = value
    return merged


def load_worker_config(
    *config_paths: str | Path, overrides: Mapping[str, Any] | None = None
) -> dict[str, Any]:
    """The configuration of ``config_paths`` merged left to right, then ``overrides``."""
    merged: dict[str, Any] = {}
    for path in config_paths:
        merged = _merge(merged, _interpolate(_read_file(Path(path)), str(path)))
    if overrides:
        merged = _merge(merged, overrides)
    return merged


def _section(config: Mapping[str, Any], key: str, model: type[_ModelT]) -> _ModelT:
    value = config.get(key)
    if value is None:
        value = {}
    try:
        return model.model_validate(value)
    except ValidationError as exc:
        raise WorkerConfigError(f"worker configuration, section {key!r}: {exc}") from exc


class _Strict(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class _DiscoveryModules(_Strict):
    include: list[str] = Field(default_factory=list)


class _DiscoveryManifest(_Strict):
    module: str = ""


class _Discovery(_Strict):
    mode: Literal["modules", "manifest"] = "modules"
    modules: _DiscoveryModules = Field(default_factory=_DiscoveryModules)
    manifest: _DiscoveryManifest = Field(default_factory=_DiscoveryManifest)


class _AppSection(BaseModel):
    # Other keys of ``app`` belong to the web process.
    discovery: _Discovery | None = None


# -- discovery ------------------------------------------------------------------------


def _is_job(value: Any) -> bool:
    return (
        isinstance(value, type)
        and issubclass(value, Job)
        and value is not Job
        and not inspect.isabstract(value)
    )


def _is_callback(value: Any) -> bool:
    return (
        isinstance(value, type)
        and value.__name__ != "NullJobCallback"
        and callable(getattr(value, "on_success", None))
        and callable(getattr(value, "on_failure", None))
    )


def _discover(discovery: _Discovery) -> tuple[list[type[Job[Any]]], list[type[Any]]]:
    if discovery.mode == "manifest":
        path = discovery.manifest.module
        if not path:
            raise WorkerConfigError("app.discovery.mode is 'manifest' but manifest.module is empty")
        module = importlib.import_module(path)
        jobs = list(getattr(module, WorkerManifestAttr.JOBS, ()))
        callbacks = list(getattr(module, WorkerManifestAttr.CALLBACKS, ()))
        if not jobs and not callbacks:
            raise WorkerConfigError(
                f"manifest module {path!r} defines neither {WorkerManifestAttr.JOBS} "
                f"nor {WorkerManifestAttr.CALLBACKS}"
            )
        return jobs, callbacks
    jobs, callbacks = [], []
    for path in discovery.modules.include:
        module = importlib.import_module(path)
        for _, value in inspect.getmembers(module, inspect.isclass):
            if value.__module__ != module.__name__:
                continue
            if _is_job(value):
                jobs.append(value)
            elif _is_callback(value):
                callbacks.append(value)
    return jobs, callbacks


def _unique(*groups: Sequence[_T]) -> list[_T]:
    return list(dict.fromkeys(item for group in groups for item in group))


# -- the setup modules fill in ------------------------------------------------------


@dataclass
class WorkerSetup:
    """What a worker's executor is built from; ``modules`` fill it in.

    Attributes:
        config: The merged configuration (every section, as read).
        repo_resolver: ``Entity -> repository`` for the jobs' loads and checks.
        uow_factory: Wraps every job in a unit of work (its dispatches run
            after the commit).
        factory: Builds job and callback instances (``build(cls)`` or
            ``cls -> instance``); by default ``cls()``.
        logger: The executor's and the runner's logger.
        executor: A ready executor, used instead of building one.
        execution_mode, generated_package: For the executor built here
            (default: ``LOOM_EXECUTION_MODE`` and ``LOOM_GENERATED``).
        startup, shutdown: Coroutine functions run on the worker's event loop
            before its first job and when its process stops.
    """

    config: Mapping[str, Any]
    repo_resolver: Callable[[type[Any]], Any] | None = None
    uow_factory: UnitOfWorkFactory | None = None
    factory: JobFactory | None = None
    logger: LoggerPort | None = None
    executor: RuntimeExecutor | None = None
    execution_mode: str | None = None
    generated_package: str | None = None
    startup: list[Callable[[], Awaitable[Any]]] = field(default_factory=list)
    shutdown: list[Callable[[], Awaitable[Any]]] = field(default_factory=list)


@dataclass(frozen=True)
class WorkerBootstrapResult:
    """A bootstrapped worker: ``celery_app.worker_main([...])`` (or ``celery -A``) runs it."""

    celery_app: Celery
    executor: RuntimeExecutor
    factory: JobFactory | None
    jobs: tuple[type[Job[Any]], ...]
    callbacks: tuple[type[Any], ...]
    setup: WorkerSetup
    loop: WorkerLoop


_UNKNOWN_UID = "loom.celery.unknown_task"
_SHUTDOWN_UID = "loom.celery.loop_shutdown"
_PROCESS_SHUTDOWN_UID = "loom.celery.loop_process_shutdown"


def bootstrap_worker(
    *config_paths: str,
    jobs: Sequence[type[Job[Any]]] = (),
    callbacks: Sequence[type[Any]] = (),
    modules: Sequence[Callable[[WorkerSetup], None]] = (),
    metrics: MetricsAdapter | None = None,
    config: Mapping[str, Any] | None = None,
) -> WorkerBootstrapResult:
    """Build a worker's Celery application with one task per job (see the module doc).

    ``config`` is merged over the files (handy in tests and for settings
    computed at startup). Jobs and callbacks given here come first; those
    the configuration's ``app.discovery`` finds are added.

    Raises:
        WorkerConfigError: a file is missing or wrong, a section does not
            validate, or no job was given or found.
        CompilationError, GeneratedCodeError: a job cannot run.
    """
    settings = load_worker_config(*config_paths, overrides=config)
    if "celery" not in settings:
        raise WorkerConfigError(
            "worker configuration has no 'celery' section (at least celery.broker_url)"
        )
    celery_cfg = _section(settings, "celery", CeleryConfig)
    app_section = _section(settings, "app", _AppSection)
    found_jobs: list[type[Job[Any]]] = []
    found_callbacks: list[type[Any]] = []
    if app_section.discovery is not None:
        found_jobs, found_callbacks = _discover(app_section.discovery)
    all_jobs = _unique(jobs, found_jobs)
    all_callbacks = _unique(callbacks, found_callbacks)
    if not all_jobs:
        raise WorkerConfigError(
            "no job for this worker: pass jobs=[...] or configure app.discovery"
        )
    for job_type in all_jobs:
        if not _is_job(job_type):
            raise WorkerConfigError(f"{job_type!r} is not a concrete Job subclass")
    names: dict[str, type[Any]] = {}
    for job_type in all_jobs:
        other = names.setdefault(job_type.__qualname__, job_type)
        if other is not job_type:
            raise WorkerConfigError(
                f"two jobs travel under the name {job_type.__qualname__!r}: "
                f"{other.__module__} and {job_type.__module__}; rename one"
            )
    jobs_section = settings.get("jobs") or {}
    if not isinstance(jobs_section, Mapping):
        raise WorkerConfigError("worker configuration, section 'jobs': must be a mapping")
    unknown = sorted(set(jobs_section) - {job.__name__ for job in all_jobs})
    if unknown:
        raise WorkerConfigError(
            f"worker configuration, section 'jobs': no job named {', '.join(unknown)} "
            f"(this worker runs {', '.join(sorted(j.__name__ for j in all_jobs))})"
        )
    for job_type in all_jobs:
        if job_type.__name__ in jobs_section:
            apply_job_config(job_type, _section(jobs_section, job_type.__name__, JobConfig))

    setup = WorkerSetup(config=settings)
    for module in modules:
        module(setup)
    executor = setup.executor
    if executor is None:
        executor = RuntimeExecutor(
            UseCaseCompiler(logger=setup.logger, metrics=metrics),
            uow_factory=setup.uow_factory,
            repo_resolver=setup.repo_resolver,
            metrics=metrics,
            logger=setup.logger,
            execution_mode=setup.execution_mode,
            generated_package=setup.generated_package,
        )
    executor.prepare_all(all_jobs)

    celery_app = create_celery_app(celery_cfg)
    if not celery_cfg.queues:
        # Consume every queue the jobs route to, not only the default one.
        queue_names = _unique([celery_cfg.task_default_queue], [j.__queue__ for j in all_jobs])
        celery_app.conf.task_queues = declare_queues(queue_names)
    loop = WorkerLoop(
        startup=setup.startup,
        shutdown=setup.shutdown,
        use_uvloop=celery_cfg.runtime.use_uvloop,
        shutdown_timeout_ms=celery_cfg.runtime.shutdown_timeout_ms,
    )
    logger = setup.logger if setup.logger is not None else get_logger("loom.celery")
    for job_type in all_jobs:
        make_job_task(
            celery_app,
            job_type,
            executor=executor,
            loop=loop,
            factory=setup.factory,
            metrics=metrics,
            logger=logger,
        )
    for callback_type in all_callbacks:
        make_callback_task(celery_app, callback_type, loop=loop, factory=setup.factory)
        make_callback_error_task(celery_app, callback_type, loop=loop, factory=setup.factory)

    known = sorted(job.__qualname__ for job in all_jobs)

    def on_unknown(name: str = "", id: str | None = None, **_: Any) -> None:
        report_unknown_task(name, id, known, metrics=metrics, logger=logger)

    def on_shutdown(**_: Any) -> None:
        loop.close()

    task_unknown.connect(on_unknown, weak=False, dispatch_uid=_UNKNOWN_UID)
    worker_shutdown.connect(on_shutdown, weak=False, dispatch_uid=_SHUTDOWN_UID)
    worker_process_shutdown.connect(on_shutdown, weak=False, dispatch_uid=_PROCESS_SHUTDOWN_UID)
    logger.info(
        f"[BOOT] Celery worker: {len(all_jobs)} job(s), {len(all_callbacks)} callback(s)",
        jobs=known,
    )
    return WorkerBootstrapResult(
        celery_app=celery_app,
        executor=executor,
        factory=setup.factory,
        jobs=tuple(all_jobs),
        callbacks=tuple(all_callbacks),
        setup=setup,
        loop=loop,
    )
