"""The ``loomgen`` command line: build, check, diff, clean and explain.

Exit codes: 0 success; 1 ``check`` found the package out of date, or
``diff`` printed a difference; 2 the run could not be done (bad
configuration, errors in the sources, files loomgen does not own in the
way, unsafe output paths, unexpected failures). Problems are printed as
``loomgen: error: ...`` without a traceback unless ``--debug`` is given.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from loom.install import install_hint
from loomgen import __version__
from loomgen import build as _build
from loomgen.build import BuildResult
from loomgen import explain as _explain
from loomgen.config import ConfigError, LoomgenConfig, load_config, require_sources
from loomgen.diagnostics import Diagnostic, errors_in
from loomgen.discover import SourceFile, discover, display_path
from loomgen.inputs import settled_plan
from loomgen.ir import ModuleIR
from loomgen.verify import differences
from loomgen.emit import (
    CHANGED_BY_HAND,
    NOT_IN_MANIFEST,
    EmitError,
    NotOwnedError,
    Unowned,
    Plan,
    check_plan,
    clean_package,
    diff_plan,
    recover,
    write_plan,
)

EXIT_OK = 0
EXIT_OUT_OF_DATE = 1
EXIT_DIFFERENT = 1
EXIT_ERROR = 2

GEN_MODULES = frozenset({"libcst", "jinja2", "black"})
"""What the ``gen`` extra installs; without them loomgen cannot parse or render."""


class _Failed(Exception):
    """Stop the run with exit code 2; the reason was already printed."""


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line and return the exit code."""
    parser = _parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as stop:  # --help, --version or a usage error
        return stop.code if isinstance(stop.code, int) else (0 if stop.code is None else 2)
    command: Callable[[argparse.Namespace], int] = args.run
    try:
        return command(args)
    except _Failed:
        return EXIT_ERROR
    except (ConfigError, EmitError) as error:
        if args.debug:
            raise
        _error(str(error))
        return EXIT_ERROR
    except ModuleNotFoundError as error:
        if args.debug or (error.name or "").partition(".")[0] not in GEN_MODULES:
            raise
        _error(
            f"loomgen needs the `gen` extra (libcst, jinja2, black) and {error.name} is not "
            f"installed; install it with: {install_hint('gen')}"
        )
        return EXIT_ERROR
    except OSError as error:
        if args.debug:
            raise
        _error(_describe(error))
        return EXIT_ERROR
    except KeyboardInterrupt:
        if args.debug:
            raise
        _error("interrupted")
        return 130
    except Exception as error:  # noqa: BLE001 - the CLI's last line of defence
        if args.debug:
            raise
        _error(f"unexpected {type(error).__name__}: {error} (run with --debug for a traceback)")
        return EXIT_ERROR


# -- commands ----------------------------------------------------------------


def _build_command(args: argparse.Namespace) -> int:
    config = _config(args)
    result, plan, _ = _generate(config, args, writing=True)
    shown = _show(config.output)
    try:
        changes = write_plan(plan, force=args.force)
    except OSError as error:
        if args.debug:
            raise
        _error(f"{_describe(error)}; {shown} was left as it was")
        return EXIT_ERROR
    except NotOwnedError as error:
        for item in error.files:
            _error(f"{shown}/{item.path}: {item.reason}; loomgen will not overwrite it")
        _error(
            f"{_count(len(error.files), 'file')} in the way; {shown} was left untouched: "
            + _TAKE_OVER_ADVICE.format(shown=shown, them="it" if len(error.files) == 1 else "them")
        )
        return EXIT_ERROR
    for item in changes.blocked:
        _warn(f"{shown}/{item.path}: {item.reason}; overwritten (--force)")
    _report_kept(shown, changes.kept)
    if not args.quiet:
        counts = (
            f"{len(changes.created)} created, {len(changes.updated)} updated, "
            f"{len(changes.unchanged)} unchanged, {len(changes.deleted)} deleted"
        )
        if changes.blocked:
            counts += f", {len(changes.blocked)} taken over"
        if changes.kept:
            counts += f", {len(changes.kept)} kept"
        _out(f"loomgen: {shown}: {counts}")
        _out(f"loomgen: {result.coverage()}")
    return EXIT_OK


def _check_command(args: argparse.Namespace) -> int:
    config, result, plan, sources = _looked_at(args)
    problems = check_plan(plan)
    shown = _show(config.output)
    changes = plan.changes
    if problems:
        _out(f"loomgen: {shown} is out of date:")
        for line in problems:
            _out(f"  {line}")
        if changes.blocked:
            _out(
                "`loomgen build` will not overwrite files loomgen does not own: "
                + _TAKE_OVER_ADVICE.format(shown=shown, them="them")
            )
        else:
            _out("run `loomgen build` to update it")
        return EXIT_OUT_OF_DATE
    if not args.quiet:
        _out(f"loomgen: {shown} is up to date")
    if args.verify:
        return _verify(config, sources, result.modules, args.quiet)
    return EXIT_OK


def _verify(
    config: LoomgenConfig, sources: Sequence[SourceFile], modules: Sequence[ModuleIR], quiet: bool
) -> int:
    """Import the sources in a child process and prepare every use case class
    with the runtime in ``generated`` mode (see :mod:`loomgen.verify`)."""
    import json
    import os
    import subprocess

    shown = _show(config.output)
    roots: list[str] = [str(config.output.parent)]
    for source in sources:
        base = source.path.parent if source.path.name == "__init__.py" else source.path
        for _ in source.module.split("."):
            base = base.parent
        if str(base) not in roots:
            roots.append(str(base))
    request = {
        "package": config.output.name,
        "modules": [source.module for source in sources],
        "path": roots,
    }
    environment = {
        key: value
        for key, value in os.environ.items()
        if key not in ("LOOM_EXECUTION_MODE", "LOOM_GENERATED")
    }
    done = subprocess.run(
        [sys.executable, "-m", "loomgen.verify"],
        input=json.dumps(request),
        cwd=config.root,
        env=environment,
        capture_output=True,
        text=True,
        check=False,
    )
    try:
        report = json.loads(done.stdout)
    except ValueError:
        _error(
            f"verify: the runtime check of {shown} stopped (exit {done.returncode}):"
            f" {done.stderr.strip() or done.stdout.strip()}"
        )
        return EXIT_ERROR
    failed = False
    for module, problem in report["broken"]:
        _error(f"verify: cannot import {module}: {problem}")
        failed = True
    shapes: dict[str, object] | None = None
    for key, reason, live, objects in report["refused"]:
        fact = objects
        if live is not None:
            if shapes is None:
                shapes = _built_shapes(config, sources, modules)
            found = [] if key not in shapes else list(differences(shapes[key], live))
            fact = found[0] if found else objects
        detail = f"; first difference: {fact}" if fact else ""
        _error(f"verify: the runtime would refuse {key}: {reason}{detail}")
        failed = True
    if not quiet:
        for key, reason in report["left"]:
            _out(f"loomgen: verify: {key}: interpreted: {reason}")
    generated, left, refused = len(report["generated"]), len(report["left"]), report["refused"]
    summary = (
        f"{_count(generated, 'use case')} the runtime runs generated,"
        f" {left} interpreted, {len(refused)} refused"
    )
    if failed:
        _error(f"verify: {summary}; {shown} does not fit the live classes")
        return EXIT_OUT_OF_DATE
    if not quiet:
        _out(f"loomgen: verify: {summary}")
    return EXIT_OK


def _built_shapes(
    config: LoomgenConfig, sources: Sequence[SourceFile], modules: Sequence[ModuleIR]
) -> dict[str, object]:
    """The plan shape the build reads for every use case it compiles (modules a
    cache served have no analysis at hand: they are analysed again, uncached)."""
    shapes: dict[str, object] = {
        uc.key: uc.shape() for module in modules for uc in module.use_cases
    }
    served = {source.module for source in sources} - {module.module for module in modules}
    if served:
        again = _build.generate(sources, package=config.output.name, cache=None)
        for module in again.modules:
            for uc in module.use_cases:
                shapes.setdefault(uc.key, uc.shape())
    return shapes


def _diff_command(args: argparse.Namespace) -> int:
    config, _, plan, _ = _looked_at(args)
    text = diff_plan(plan)
    shown = _show(config.output)
    for item in plan.changes.blocked:
        _warn(f"{shown}/{item.path}: {item.reason}; `loomgen build` needs --force to overwrite it")
    if not text:
        return EXIT_OK
    sys.stdout.write(text)
    return EXIT_DIFFERENT


def _clean_command(args: argparse.Namespace) -> int:
    config = _config(args)
    shown = _show(config.output)
    try:
        changes = clean_package(config.output)
    except OSError as error:
        if args.debug:
            raise
        _error(f"{_describe(error)}; {shown} was left as it was")
        return EXIT_ERROR
    _report_kept(shown, changes.kept)
    if not args.quiet:
        _out(f"loomgen: {shown}: {len(changes.deleted)} deleted, {len(changes.kept)} kept")
    return EXIT_OK


def _explain_command(args: argparse.Namespace) -> int:
    target: str = args.target
    module, _, name = target.partition(":")
    if not module or not name:
        _error(f"explain: expected MODULE:CLASS, got {target!r}")
        return EXIT_ERROR
    config = _config(args)
    sources = _discover(config)
    try:
        text = _explain.explain(sources, config.output.name, target)
    except LookupError as error:
        if args.debug:
            raise
        _error(f"explain: {error.args[0] if error.args else error}")
        return EXIT_ERROR
    sys.stdout.write(_with_newline(text))
    return EXIT_OK


# -- shared steps ------------------------------------------------------------


def _config(args: argparse.Namespace) -> LoomgenConfig:
    settings = load_config(
        args.project,
        sources=args.source,
        output=args.output,
        strict=True if args.strict else None,
    )
    require_sources(settings)
    return settings


def _discover(config: LoomgenConfig) -> list[SourceFile]:
    """Find the sources; print their problems; stop on errors."""
    sources, diagnostics = discover(config.sources, root=config.root, exclude=[config.output])
    _judge(diagnostics, config)
    return sources


def _generate(
    config: LoomgenConfig, args: argparse.Namespace, *, writing: bool = False
) -> tuple[BuildResult, Plan, list[SourceFile]]:
    """Discover and generate in memory; print every diagnostic; stop on errors.

    Generation runs even when discovery reported errors, so that one run
    shows every problem; nothing is written when any of them is fatal. The
    build cache (``cache_dir`` of the config, unless ``--no-cache``) serves
    unchanged modules; build, check and diff give the same answer without it.
    The plan is made once, after a killed write is undone when ``writing``.
    """
    sources, found = discover(config.sources, root=config.root, exclude=[config.output])
    cache = (
        None
        if args.no_cache
        else _build.open_cache(config.cache_dir, config.root, config.output.name)
    )
    result = _build.generate(
        sources, package=config.output.name, cache=cache, committed=config.output
    )
    _judge([*found, *result.diagnostics], config)
    if writing:
        recover(config.output)
    return result, settled_plan(config.output, result.files), sources


def _looked_at(
    args: argparse.Namespace,
) -> tuple[LoomgenConfig, BuildResult, Plan, list[SourceFile]]:
    """What ``check`` and ``diff`` start from: the configuration, the build in
    memory and its plan; files kept in the package are reported."""
    config = _config(args)
    result, plan, sources = _generate(config, args)
    _report_kept(_show(config.output), plan.changes.kept)
    return config, result, plan, sources


def _judge(diagnostics: Sequence[Diagnostic], config: LoomgenConfig) -> None:
    ordered = sorted(set(diagnostics))
    for diagnostic in ordered:
        print(diagnostic, file=sys.stderr)
    fatal = errors_in(ordered, strict=config.strict)
    if fatal:
        what = "problem" if len(fatal) == 1 else "problems"
        strict = " (--strict: warnings count)" if config.strict else ""
        _error(f"{len(fatal)} {what}{strict}; {_show(config.output)} was left untouched")
        raise _Failed


_TAKE_OVER_ADVICE = (
    "move {them} out of {shown} (or set another `output` in [tool.loomgen]), "
    "or run `loomgen build --force` to overwrite {them}"
)


def _report_kept(shown: str, kept: Sequence[Unowned]) -> None:
    """The same warning for a kept file, whichever command found it."""
    for item in kept:
        if item.reason == CHANGED_BY_HAND:
            advice = "no longer generated; kept (it is yours now)"
        elif item.reason == NOT_IN_MANIFEST:
            advice = "left alone (delete it if it is no longer needed)"
        else:
            advice = "left alone"
        _warn(f"{shown}/{item.path}: {item.reason}; {advice}")


def _describe(error: OSError) -> str:
    where = f"{error.filename}: " if error.filename else ""
    return f"{where}{error.strerror or error}"


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}" if number == 1 else f"{number} {noun}s"


# -- output ------------------------------------------------------------------


def _out(line: str) -> None:
    print(line)


def _warn(message: str) -> None:
    print(f"loomgen: warning: {message}", file=sys.stderr)


def _error(message: str) -> None:
    print(f"loomgen: error: {message}", file=sys.stderr)


def _show(path: Path) -> str:
    """``path`` relative to the working folder when below it, else absolute."""
    return display_path(path, Path.cwd())


def _with_newline(text: str) -> str:
    return text if text.endswith("\n") or not text else text + "\n"


# -- arguments ---------------------------------------------------------------


HELP_EPILOG = """\
configuration ([tool.loomgen] in pyproject.toml; paths relative to that file):
  sources = ["app"]          package folders or .py files to compile (required)
  output = "generated"       folder of the generated package; imported by its path from
                             the project root: "library/gen" is library.gen (LOOM_GENERATED)
  strict = false             true: warnings (use cases left to the interpreter) fail the run
  cache = ".loomgen-cache"   build cache folder, or false for none

exit codes:
  0  done; check: up to date; diff: no difference
  1  check: the package is out of date; diff: a difference was printed
  2  the run could not be done: bad configuration, errors in the sources,
     files loomgen does not own in the way (build --force takes them over),
     unsafe output paths, missing `gen` extra, unexpected failures

environment:
  LOOMGEN_JOBS         build processes (default: one per core, from 16 modules up)
  LOOM_EXECUTION_MODE  at runtime: auto (default), interpreted or generated
  LOOM_GENERATED       at runtime: the generated package's import name (default:
                       generated; output = "library/gen" needs LOOM_GENERATED=library.gen)
"""


def _parser() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    options = common.add_argument_group("options shared by every command")
    options.add_argument(
        "--source",
        action="append",
        metavar="PATH",
        help="package folder or .py file to compile (repeatable; replaces [tool.loomgen] sources)",
    )
    options.add_argument(
        "--output", metavar="DIR", help="generated package folder (replaces [tool.loomgen] output)"
    )
    options.add_argument(
        "--project",
        type=Path,
        metavar="DIR",
        help="folder holding pyproject.toml (default: the nearest one above the working folder)",
    )
    options.add_argument("--strict", action="store_true", help="treat warnings as errors")
    options.add_argument(
        "--no-cache",
        action="store_true",
        help="neither read nor write the build cache ([tool.loomgen] cache)",
    )
    options.add_argument("--debug", action="store_true", help="show tracebacks")
    options.add_argument("-q", "--quiet", action="store_true", help="print only problems")

    parser = argparse.ArgumentParser(
        prog="loomgen",
        description="Compile loom use cases into straight-line executors.",
        epilog=HELP_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"loomgen {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    def command(
        name: str, run: Callable[[argparse.Namespace], int], text: str
    ) -> argparse.ArgumentParser:
        sub = commands.add_parser(
            name,
            parents=[common],
            help=text,
            description=text,
            epilog=HELP_EPILOG,
            formatter_class=argparse.RawDescriptionHelpFormatter,
        )
        sub.set_defaults(run=run)
        return sub

    build = command("build", _build_command, "write the generated package")
    build.add_argument(
        "--force",
        action="store_true",
        help="overwrite files in the way that loomgen does not own (taking them over)",
    )
    check = command(
        "check",
        _check_command,
        "exit 1 if a build would change the generated package",
    )
    check.add_argument(
        "--verify",
        action="store_true",
        help="also import the sources in a child process and prepare every use case with the"
        " runtime in generated mode: exit 1 if it would refuse a generated executor",
    )
    command(
        "diff", _diff_command, "show what build would change, as a unified diff (exit 1 if any)"
    )
    command("clean", _clean_command, "remove the files loomgen owns (others are kept)")
    explain = command("explain", _explain_command, "show how loomgen compiles one use case")
    explain.add_argument("target", metavar="MODULE:CLASS", help="the use case to explain")
    return parser
