"""Building modules: one (scan, analyse, render, format), or many, in this
process or spread over a pool of worker processes.
"""

from __future__ import annotations

import multiprocessing
import os
import sys
from collections.abc import Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor
from typing import TYPE_CHECKING, Any

from loomgen.cache import sha256
from loomgen.diagnostics import Diagnostic
from loomgen.discover import SourceFile
from loomgen.outcome import ModuleOutcome, Rendered, needs_rendering
from loomgen.sources import ImportPath, RecordingModules, SourceIndex, SourceText, read_texts

if TYPE_CHECKING:
    from loomgen.ir import ModuleIR

PARALLEL_THRESHOLD = 16
"""Fewer modules than this to build are built in-process (a pool costs more)."""

JOBS_VARIABLE = "LOOMGEN_JOBS"


def analyse_one(module: str, index: SourceIndex) -> ModuleOutcome:
    """Scan and analyse one module (the first half of :func:`build_module`)."""
    from loomgen.parse import analyse_module

    modules = RecordingModules(index)
    modules.asked.add(module)
    scanned = index.scan(module)
    if scanned is None or isinstance(scanned, Diagnostic):
        problems = [] if scanned is None else [scanned]
        return ModuleOutcome(module, _deps(index, modules.asked), problems)
    found, problems = analyse_module(scanned, modules)
    if found is not None and found.interpreted:
        from dataclasses import replace

        from loom.core.engine.fingerprint import source_digest

        found = replace(found, source_digest=source_digest(index.texts[module][1]))
    return ModuleOutcome(
        module, _deps(index, modules.asked), problems, ir=found, read=_read(index, modules.asked)
    )


def render_one(found: ModuleIR, pieces: Mapping[str, str]) -> Rendered:
    """Render and format one module (the second half of :func:`build_module`).

    A piece already in black's canonical form (almost all of them: see
    :func:`loomgen.render.canonical_text`) is used as it is. ``pieces`` maps
    the digest of an unformatted piece of code to its black-formatted text
    (from an earlier build); black only runs for the other pieces, in one run.
    Only black's results are kept for the cache: the others cost nothing to
    write again.
    """
    from loomgen.render import (
        RenderError,
        black_pieces,
        canonical_text,
        formatter_digest,
        output_path,
        registry_entries,
        render_module,
    )

    if not found.use_cases:
        # Every use case is left to the interpreter: registry entries, no file.
        return None, None, registry_entries(found), {}, None, None
    used: dict[str, str] = {}

    def formatter(raw: Sequence[tuple[str, str]]) -> list[str]:
        formatted = [canonical_text(code) for _, code in raw]
        rest: list[tuple[int, str]] = []  # (index, digest) of the pieces black formats
        for index, (_, code) in enumerate(raw):
            if formatted[index] is None:
                key = sha256(code)
                known = pieces.get(key)
                if isinstance(known, str):
                    formatted[index] = used[key] = known
                else:
                    rest.append((index, key))
        if rest:
            by_black = black_pieces([raw[index] for index, _ in rest])
            for (index, key), text in zip(rest, by_black, strict=True):
                formatted[index] = used[key] = text
        return [text for text in formatted if text is not None]

    try:
        output = render_module(found, formatter)
    except RenderError as error:
        return None, None, [], {}, None, str(error)
    return output_path(found), output, registry_entries(found), used, formatter_digest(), None


def _apply(outcome: ModuleOutcome, rendered: Rendered) -> ModuleOutcome:
    (
        outcome.path,
        outcome.output,
        outcome.entries,
        outcome.pieces,
        outcome.formatter,
        outcome.render_error,
    ) = rendered
    return outcome


def build_module(module: str, index: SourceIndex, pieces: Mapping[str, str]) -> ModuleOutcome:
    """Scan, analyse, render and format one module."""
    outcome = analyse_one(module, index)
    if needs_rendering(outcome):
        assert outcome.ir is not None
        _apply(outcome, render_one(outcome.ir, pieces))
    return outcome


def _deps(index: SourceIndex, asked: set[str]) -> dict[str, str | None]:
    return {module: index.digest(module) for module in sorted(asked)}


def _read(index: SourceIndex, asked: set[str]) -> dict[str, str]:
    """The runtime's digest of each module the analysis read (what ``prepare_all`` checks)."""
    from loom.core.engine.fingerprint import source_digest

    read = {}
    for module in sorted(asked):
        entry = index.entry(module)
        if entry is not None:
            read[module] = source_digest(entry[1])
    return read


# -- many modules: in-process or in a pool -------------------------------------------

_worker_index: SourceIndex | None = None


def _start_worker(texts: Mapping[str, SourceText], path: ImportPath) -> None:
    global _worker_index
    _worker_index = SourceIndex(texts, path)


def _work(task: tuple[str, Mapping[str, str]]) -> ModuleOutcome:
    assert _worker_index is not None
    outcome = build_module(task[0], _worker_index, task[1])
    # The IR stays here: sending it back would compute every source position
    # (to pickle its locations), which nothing in a build reads.
    outcome.ir = None
    return outcome


def _load_renderer() -> None:
    """Load jinja2 and the templates ahead of need. Not black: the templates
    write black's canonical form, so most builds never run it (a process
    that does imports it then)."""
    from loomgen.render import environment

    environment().get_template("module.py.jinja")


def _render_task(task: tuple[ModuleIR, Mapping[str, str]]) -> Rendered:
    return render_one(*task)


def jobs_for(count: int) -> int:
    """How many processes build ``count`` modules (1: in-process)."""
    raw = os.environ.get(JOBS_VARIABLE, "")
    try:
        jobs = int(raw) if raw else (os.cpu_count() or 1)
    except ValueError:
        jobs = 1
    if count < PARALLEL_THRESHOLD:
        return 1
    return max(1, min(jobs, count))


def _fork_context() -> Any:
    if "fork" not in multiprocessing.get_all_start_methods():
        return None
    return multiprocessing.get_context("fork")


def _overlap_imports() -> bool:
    """Whether to render in a helper process (which loads jinja2 and the
    templates, and black if a piece needs it) while this one loads libcst.

    Worth it only in a fresh process (nothing loaded yet: the CLI) with a
    spare core; then a small rebuild pays for one of the imports, not both.
    """
    return (
        "black" not in sys.modules
        and "libcst" not in sys.modules
        and (os.cpu_count() or 1) > 1
        and os.environ.get(JOBS_VARIABLE, "") != "1"
        and _fork_context() is not None
        and not multiprocessing.current_process().daemon
    )


def build_modules(
    tasks: Sequence[tuple[str, Mapping[str, str]]],
    texts: Mapping[str, SourceText],
    path: ImportPath = ImportPath(),
) -> list[ModuleOutcome]:
    """Build every ``(module, known pieces)`` task, in a process pool when worth it."""
    if not tasks:
        return []
    jobs = jobs_for(len(tasks))
    if jobs > 1:
        # Load the heavy modules once here: forked workers inherit them.
        import loomgen.parse  # noqa: F401

        _load_renderer()

        # One module per task: a module takes long enough that handing them out
        # one by one costs nothing, and no worker idles at the end.
        with ProcessPoolExecutor(
            jobs, mp_context=_fork_context(), initializer=_start_worker, initargs=(texts, path)
        ) as pool:
            return list(pool.map(_work, tasks))
    index = SourceIndex(texts, path)
    if not _overlap_imports():
        return [build_module(module, index, pieces) for module, pieces in tasks]
    with ProcessPoolExecutor(1, mp_context=_fork_context()) as helper:
        helper.submit(_load_renderer)  # starts the helper; it imports while we parse
        outcomes = [analyse_one(module, index) for module, _ in tasks]
        pending = [
            (outcome, helper.submit(_render_task, (outcome.ir, pieces)))
            for outcome, (_, pieces) in zip(outcomes, tasks, strict=True)
            if outcome.ir is not None and needs_rendering(outcome)
        ]
        # While the helper renders: load what the package files need (jinja2).
        from loomgen.render import environment

        environment().get_template("registry.py.jinja")
        for outcome, future in pending:
            try:
                rendered = future.result()
            except Exception:  # noqa: BLE001 - the helper broke: render here instead
                assert outcome.ir is not None
                rendered = render_one(outcome.ir, dict(tasks)[outcome.module])
            _apply(outcome, rendered)
    return outcomes


def analyse_sources(
    sources: Sequence[SourceFile], package: str = ""
) -> tuple[list[ModuleIR], list[Diagnostic]]:
    """Sources -> IR of every use case, plus every problem found (no cache)."""
    texts, problems = read_texts(sources)
    index = SourceIndex(texts, ImportPath.of(sources, package))
    modules: list[ModuleIR] = []
    for module in sorted(texts):
        outcome = analyse_one(module, index)
        problems.extend(outcome.diagnostics)
        if outcome.ir is not None:
            modules.append(outcome.ir)
    return modules, sorted(problems)
