"""A pytest plugin that runs a project's own tests against loomgen's executors.

Installed with loomgen (entry point ``loom`` in the ``pytest11`` group) and
off unless asked for::

    pytest --loom-mode=generated     # or interpreted, auto
    # or in pyproject.toml: [tool.pytest.ini_options] loom_mode = "generated"

``generated``
    Before the conftest files are imported, builds the sources configured in
    ``[tool.loomgen]`` (with the project's build cache) into a package in a
    temporary folder, named like the configured output so the cache records
    are shared with ``loomgen build``. That package is imported from there
    (so it wins over a committed, possibly stale copy of the same name) and
    ``LOOM_EXECUTION_MODE=generated`` / ``LOOM_GENERATED`` point every
    executor created during the session at it. A build with errors stops the
    session with the diagnostics. As at runtime, a missing or stale executor
    raises ``GeneratedCodeError`` in the test that hit it.
``interpreted``, ``auto``
    Only set ``LOOM_EXECUTION_MODE``; nothing is built (``auto`` uses the
    project's own generated package, as production would).

When a mode is given, the session ends with one line saying how many use
case classes ran generated code and how many ran interpreted, grouped by
the reason the runtime recorded (see :mod:`loom.core.engine.observe`). A
class counts once per way it ran: one that ran both ways (the fixture below)
counts in each, and the line says how many did.

The fixture ``loom_executor_mode`` runs a test once per mode (interpreted,
then generated) whether or not the option is given; it sets the mode for
executors created inside the test and returns it. Unless the session itself
is in ``generated`` mode, the fresh build is the imported package only for
the test's generated run: afterwards the project's own package is imported
again, so ``auto`` keeps testing what production would run.

Without an option, ini value or use of the fixture the plugin does nothing:
its hooks return at once; nothing from loom is imported beyond the stdlib-only
:mod:`loom.modes`, and nothing from loomgen's build.
"""

from __future__ import annotations

import importlib
import os
import re
import shutil
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING

import pytest

from loom.modes import MODE_VARIABLE, PACKAGE_VARIABLE, PLUGIN_MODES, ExecutionMode

if TYPE_CHECKING:
    from loom.core.engine.observe import Recorder

MODES = PLUGIN_MODES
_WHAT = "loom"


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("loom", "loom use case executors")
    group.addoption(
        "--loom-mode",
        dest="loom_mode",
        choices=MODES,
        default=None,
        help="run loom executors in this mode for the whole session; 'generated' first builds"
        " the [tool.loomgen] sources into a temporary package (default: the loom_mode ini"
        " value, else the plugin is off)",
    )
    parser.addini(
        "loom_mode",
        "loom execution mode for the session: generated, interpreted or auto (empty: off)",
        default="",
    )


def requested_mode(config: pytest.Config) -> str | None:
    """The mode asked for on the command line or in the ini file, or ``None``."""
    mode = getattr(config.known_args_namespace, "loom_mode", None)
    if mode is None:
        ini = config.getini("loom_mode")
        mode = ini.strip() if isinstance(ini, str) else ""
        if not mode:
            return None
        if mode not in MODES:
            raise pytest.UsageError(
                f"loom_mode = {mode!r} in the ini file is not a mode (choose {', '.join(MODES)})"
            )
    return str(mode)


def pytest_load_initial_conftests(early_config: pytest.Config) -> None:
    """Set the session up before any conftest creates an executor."""
    mode = requested_mode(early_config)
    if mode is None:
        return
    namespace = early_config.known_args_namespace
    if getattr(namespace, "help", False) or getattr(namespace, "version", False):
        return
    session = LoomSession(early_config, mode)
    early_config.add_cleanup(session.close)
    session.start()
    early_config.pluginmanager.register(session, "loom-session")


@pytest.fixture(params=[ExecutionMode.INTERPRETED.value, ExecutionMode.GENERATED.value])
def loom_executor_mode(
    request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch
) -> Iterator[str]:
    """Run the test once per execution mode; executors it creates use that mode.

    In ``generated`` mode the session's build is used (or made now, once per
    session, when the session was not started with ``--loom-mode=generated``).
    Executors created before the test (module-level, session fixtures) keep
    the mode they were created with; pass ``execution_mode=loom_executor_mode``
    to those you create yourself if in doubt.
    """
    mode: str = request.param
    monkeypatch.setenv(MODE_VARIABLE, mode)
    lent: GeneratedBuild | None = None
    if mode == ExecutionMode.GENERATED:
        try:
            build = session_build(request.config)
        except pytest.UsageError as error:
            pytest.fail(str(error), pytrace=False)
        monkeypatch.setenv(PACKAGE_VARIABLE, build.package)
        session = request.config.pluginmanager.get_plugin("loom-session")
        if not (isinstance(session, LoomSession) and session.mode == ExecutionMode.GENERATED):
            # Only for this test: later tests (``auto`` above all) must see the
            # project's own generated package again, as production would.
            lent = build
            build.activate()
    try:
        yield mode
    finally:
        if lent is not None:
            lent.deactivate()


# -- the build -------------------------------------------------------------------------


_BUILD = pytest.StashKey["GeneratedBuild | pytest.UsageError"]()


def session_build(config: pytest.Config) -> GeneratedBuild:
    """The session's build of the configured sources, made on first use.

    A build that failed is not tried again: every later call raises the same
    :class:`pytest.UsageError`.
    """
    build = config.stash.get(_BUILD, None)
    if build is None:
        try:
            build = GeneratedBuild.make(config)
        except pytest.UsageError as error:
            build = error
        config.stash[_BUILD] = build
        if isinstance(build, GeneratedBuild):
            config.add_cleanup(build.close)
    if isinstance(build, pytest.UsageError):
        raise pytest.UsageError(*build.args)
    return build


class GeneratedBuild:
    """The configured sources built into a temporary folder and imported from there."""

    def __init__(self, package: str, folder: Path, executors: int, warnings: list[str]) -> None:
        self.package = package
        self.folder = folder
        self.executors = executors
        self.warnings = warnings
        self._shadowed: dict[str, ModuleType] = {}
        self._own: dict[str, ModuleType] = {}
        self.active = False
        """Whether the build's package is the one ``import`` finds (see :meth:`activate`)."""

    @classmethod
    def make(cls, config: pytest.Config) -> GeneratedBuild:
        """Build and import; :class:`pytest.UsageError` when that cannot be done."""
        from loomgen.build import build_package
        from loomgen.config import ConfigError, load_config, require_sources
        from loomgen.diagnostics import Severity
        from loomgen.emit import EmitError

        project = config.rootpath if (config.rootpath / "pyproject.toml").is_file() else None
        try:
            settings = load_config(project)
            require_sources(settings)
        except ConfigError as error:
            raise pytest.UsageError(f"{_WHAT}: generated mode: {error}") from None
        folder = Path(tempfile.mkdtemp(prefix="loom-generated-"))
        output = folder / settings.output.name
        try:
            result = build_package(
                settings.sources,
                output,
                root=settings.root,
                strict=settings.strict,
                cache_dir=settings.cache_dir,
            )
        except (EmitError, OSError) as error:
            shutil.rmtree(folder, ignore_errors=True)
            raise pytest.UsageError(
                f"{_WHAT}: generated mode: cannot write the generated package: {error}"
            ) from None
        except ImportError as error:  # libcst, jinja2 or black: the ``gen`` extra
            from loom.install import install_hint

            shutil.rmtree(folder, ignore_errors=True)
            raise pytest.UsageError(
                f"{_WHAT}: generated mode needs loomgen's build dependencies, the gen extra"
                f" ({error}); install it with: {install_hint('gen')}"
            ) from None
        errors = result.errors(strict=settings.strict)
        if errors:
            shutil.rmtree(folder, ignore_errors=True)
            what = "error" if len(errors) == 1 else "errors"
            strict = " (strict: warnings count)" if settings.strict else ""
            lines = "\n".join(f"  {problem}" for problem in errors)
            raise pytest.UsageError(
                f"{_WHAT}: generated mode: loomgen build of {settings.root}"
                f" failed with {len(errors)} {what}{strict}:\n{lines}"
            )
        warnings = [str(d) for d in result.diagnostics if d.severity is Severity.WARNING]
        build = cls(output.name, folder, 0, warnings)
        try:
            build.executors = len(build._import())
        except BaseException:
            build.close()
            raise
        return build

    def _modules(self) -> list[str]:
        name = self.package
        return [m for m in sys.modules if m == name or m.startswith(name + ".")]

    def activate(self) -> None:
        """Make the build's package the one imported, hiding the project's own copy
        (already imported or not) until :meth:`deactivate`."""
        if self.active:
            return
        for module in self._modules():
            self._shadowed[module] = sys.modules.pop(module)
        sys.modules.update(self._own)
        self._own.clear()
        sys.path.insert(0, str(self.folder))
        importlib.invalidate_caches()
        self.active = True

    def deactivate(self) -> None:
        """Put the project's own package back where :meth:`activate` found it:
        the build's modules are set aside (for the next :meth:`activate`) and the
        temporary folder leaves ``sys.path``."""
        if not self.active:
            return
        for module in self._modules():
            self._own[module] = sys.modules.pop(module)
        sys.modules.update(self._shadowed)
        self._shadowed.clear()
        try:
            sys.path.remove(str(self.folder))
        except ValueError:
            pass
        importlib.invalidate_caches()
        self.active = False

    def _import(self) -> dict[str, object]:
        """Import the package from the temporary folder, hiding any other copy of it.

        Once imported, its modules are found through the package itself, so
        folders put in front of ``sys.path`` later cannot shadow it.
        """
        name = self.package
        self.activate()
        try:
            package = importlib.import_module(name)
        except Exception as error:
            raise pytest.UsageError(
                f"{_WHAT}: generated mode: the fresh build of {name!r} does not import:"
                f" {type(error).__name__}: {error}"
            ) from None
        where = Path(package.__file__ or "").parent
        if where != self.folder / name:
            raise pytest.UsageError(
                f"{_WHAT}: generated mode: {name!r} was imported from {where},"
                f" not from the fresh build in {self.folder}"
            )
        executors = getattr(package, "EXECUTORS", {})
        return dict(executors) if isinstance(executors, dict) else {}

    def close(self) -> None:
        """Forget the package and remove the folder; bring back what it hid."""
        self.deactivate()
        self._own.clear()
        shutil.rmtree(self.folder, ignore_errors=True)


# -- the session -------------------------------------------------------------------------


class LoomSession:
    """A session run in one loom mode: environment, recorder and summary (a plugin)."""

    def __init__(self, config: pytest.Config, mode: str) -> None:
        self.config = config
        self.mode = mode
        self.build: GeneratedBuild | None = None
        self.recorder: Recorder | None = None
        self.generated_errors: set[str] = set()
        self._saved: dict[str, str | None] = {}

    def start(self) -> None:
        from loom.core.engine import observe

        self._set(MODE_VARIABLE, self.mode)
        self.recorder = observe.start_recording()
        if self.mode == ExecutionMode.GENERATED:
            try:
                self.build = session_build(self.config)
            except BaseException:
                self.close()
                raise
            self._set(PACKAGE_VARIABLE, self.build.package)

    def close(self) -> None:
        from loom.core.engine import observe

        if self.recorder is not None:
            observe.stop_recording(self.recorder)
        for name, value in self._saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
        self._saved.clear()

    def _set(self, name: str, value: str) -> None:
        self._saved.setdefault(name, os.environ.get(name))
        os.environ[name] = value

    # -- hooks -------------------------------------------------------------------------

    def pytest_report_header(self, config: pytest.Config) -> list[str]:
        if self.build is None:
            return [f"{_WHAT}: --loom-mode={self.mode}"]
        build = self.build
        count = len(build.warnings)
        lines = [
            f"{_WHAT}: --loom-mode=generated: {build.executors} generated executors in"
            f" {build.folder / build.package} ({count} build warning{'' if count == 1 else 's'})"
        ]
        if config.get_verbosity() > 0:
            lines.extend(f"  {warning}" for warning in build.warnings)
        return lines

    def pytest_runtest_makereport(self, item: pytest.Item, call: pytest.CallInfo[None]) -> None:
        from loom.core.engine.generated import GeneratedCodeError

        if call.excinfo is not None and call.excinfo.errisinstance(GeneratedCodeError):
            self.generated_errors.add(item.nodeid)

    def pytest_terminal_summary(self, terminalreporter: pytest.TerminalReporter) -> None:
        terminalreporter.write_line(self.summary())

    def summary(self) -> str:
        """The session's one-line account of how use case classes ran."""
        decisions = self.recorder.decisions if self.recorder is not None else []
        generated: set[str] = set()
        interpreted: set[str] = set()
        reasons: dict[str, set[str]] = {}
        for decision in decisions:
            if decision.generated:
                generated.add(decision.key)
            else:
                interpreted.add(decision.key)
                reason = _general(decision.reason or "no reason given", decision.key)
                reasons.setdefault(reason, set()).add(decision.key)
        line = (
            f"{_WHAT} --loom-mode={self.mode}: {_count(len(generated), 'use case class')}"
            f" ran generated, {len(interpreted)} interpreted"
        )
        if reasons:
            groups = sorted(reasons.items(), key=lambda item: (-len(item[1]), item[0]))
            line += " (" + "; ".join(f"{len(keys)} {reason}" for reason, keys in groups) + ")"
        both = len(generated & interpreted)
        if both:
            # The loom_executor_mode fixture runs a class both ways: it counts in each.
            line += f"; {_count(both, 'class')} ran both ways and counted once in each"
        if self.generated_errors:
            line += f"; {_count(len(self.generated_errors), 'test')} failed with GeneratedCodeError"
        return line


def _count(number: int, noun: str) -> str:
    if number == 1:
        return f"{number} {noun}"
    return f"{number} {noun}es" if noun.endswith("s") else f"{number} {noun}s"


def _general(reason: str, key: str) -> str:
    """``reason`` with the class it names replaced, so equal reasons group together."""
    qualname = key.partition(":")[2]
    reason = reason.replace(key, "<use case>")
    if qualname:
        reason = re.sub(rf"(?<![\w.]){re.escape(qualname)}(?![\w])", "<use case>", reason)
    return reason
