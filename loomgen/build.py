"""Wire the stages together: discover -> parse -> render -> emit.

``generate`` is pure (reads sources, returns files and diagnostics);
``build_package`` also writes, and only when there is no error, so a failed
build leaves the previous generated package untouched.

Each source module is built on its own: scanned, analysed (names resolved
across the other sources, which are parsed on demand), rendered and
formatted. That makes two things cheap:

* **caching** (:mod:`loomgen.cache`): a module whose text and whose
  dependencies' texts are unchanged is not parsed, analysed or formatted
  again; its previous result is reused;
* **parallelism**: when many modules need building, they are spread over a
  process pool (``$LOOMGEN_JOBS`` workers, default one per core). Each
  worker parses every module at most once.

The result does not depend on either: every module is analysed with fresh
state from the same inputs, so a cached, parallel or serial build produces the
same files and the same diagnostics.

Heavy dependencies (libcst, black, jinja2) are imported only when something
has to be parsed or rendered, so a fully cached build never loads them; black
only when a piece of code is not written in its canonical form already (see
:func:`loomgen.render.canonical_text`), which most builds never meet.
"""

from __future__ import annotations

import difflib
import multiprocessing
import os
import sys
import tokenize
from collections.abc import Iterator, Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor
from contextvars import ContextVar
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from loomgen.cache import (
    BuildCache,
    Record,
    config_digest,
    inputs_unchanged,
    module_digest,
    sha256,
)
from loomgen.diagnostics import Diagnostic, Severity, errors_in, merge_inherited
from loomgen.discover import SourceFile, discover
from loomgen.entries import RegistryEntry, entry_from_record, entry_record

if TYPE_CHECKING:
    from loomgen.ir import ModuleIR, UseCaseIR
    from loomgen.scan import ModuleScan

PARALLEL_THRESHOLD = 16
"""Fewer modules than this to build are built in-process (a pool costs more)."""

JOBS_VARIABLE = "LOOMGEN_JOBS"

active_cache: ContextVar[BuildCache | None] = ContextVar("loomgen_active_cache", default=None)
"""The cache :func:`generate` uses when it is not given one (set by the CLI)."""


@dataclass(frozen=True)
class BuildResult:
    """What a build produced: files (relative posix path -> text) and problems.

    ``modules`` holds the IR of the modules analysed in this process; modules
    served from the cache, or built by worker processes, are not in it.
    """

    files: dict[str, str]
    diagnostics: list[Diagnostic] = field(default_factory=list)
    modules: tuple[ModuleIR, ...] = ()
    rebuilt: tuple[str, ...] = ()
    """The source modules analysed (and rendered) in this run: neither the build
    cache nor the package's record of its inputs could vouch for them."""

    def errors(self, *, strict: bool = False) -> list[Diagnostic]:
        return errors_in(self.diagnostics, strict=strict)


# -- reading and scanning ------------------------------------------------------------


def read_sources(sources: Sequence[SourceFile]) -> tuple[list[ModuleScan], list[Diagnostic]]:
    """Parse every source file; unreadable or invalid files become diagnostics."""
    from loomgen.scan import scan_module

    scans: list[ModuleScan] = []
    problems: list[Diagnostic] = []
    texts, problems = read_texts(sources)
    for source, text, _ in texts.values():
        scanned = scan_module(source, text)
        if isinstance(scanned, Diagnostic):
            problems.append(scanned)
        else:
            scans.append(scanned)
    return scans, problems


SourceText = tuple[SourceFile, str, str]
"""A source file, its text, and its :func:`~loomgen.cache.module_digest`."""


def read_texts(sources: Sequence[SourceFile]) -> tuple[dict[str, SourceText], list[Diagnostic]]:
    """Read every source file; unreadable ones become diagnostics."""
    texts: dict[str, SourceText] = {}
    problems: list[Diagnostic] = []
    for source in sources:
        try:
            # Decoded as Python decodes it: a BOM or a coding cookie, else UTF-8.
            with tokenize.open(source.path) as stream:
                text = stream.read()
        except (OSError, UnicodeDecodeError, SyntaxError) as error:
            problems.append(Diagnostic(source.display, 1, 1, f"cannot read: {error}"))
            continue
        texts[source.module] = (source, text, module_digest(source.module, source.display, text))
    return texts, problems


@dataclass(frozen=True)
class ImportPath:
    """Modules outside the sources that loomgen may read (parse, never import) to
    follow a base class, a mixin, an alias or a re-export: the modules found
    under the folders the sources are imported from (each source's import root).

    loom itself, the generated package and the standard library are never
    read from there. What a module read this way contains is part of the
    recorded inputs of every module whose analysis read it, like a source.
    """

    roots: tuple[Path, ...] = ()
    project: Path | None = None
    """The folder source displays are relative to (outside displays are too)."""
    excluded: frozenset[str] = frozenset()

    @classmethod
    def of(cls, sources: Sequence[SourceFile], package: str = "") -> ImportPath:
        roots: dict[Path, None] = {}
        project = None
        for source in sources:
            depth = source.module.count(".") + (1 if source.path.name == "__init__.py" else 0)
            roots.setdefault(source.path.parents[depth], None)
            text = str(source.path)
            if project is None and text.endswith(source.display):
                project = Path(text[: len(text) - len(source.display)] or ".")
        excluded = frozenset(sys.stdlib_module_names) | {"loom", "loomgen", "__future__"}
        if package:
            excluded |= {package.split(".")[0]}
        return cls(tuple(roots), project, excluded)

    def locate(self, module: str) -> SourceFile | None:
        """The file ``module`` would be imported from, if it lies under a root."""
        parts = module.split(".")
        if not module or parts[0] in self.excluded or not all(p.isidentifier() for p in parts):
            return None
        for root in self.roots:
            for candidate in (
                root.joinpath(*parts, "__init__.py"),
                root.joinpath(*parts[:-1], f"{parts[-1]}.py"),
            ):
                if candidate.is_file():
                    display = candidate.as_posix()
                    if self.project is not None:
                        display = Path(os.path.relpath(candidate, self.project)).as_posix()
                    return SourceFile(candidate, display, module)
        return None


class SourceIndex:
    """The readable sources, each scanned at most once, on first use; and the
    modules of the import path that names lead to (read on demand)."""

    def __init__(self, texts: Mapping[str, SourceText], path: ImportPath = ImportPath()) -> None:
        self.texts = texts
        self.path = path
        self.outside: dict[str, SourceText | None] = {}
        self._scans: dict[str, ModuleScan | Diagnostic] = {}

    def entry(self, module: str) -> SourceText | None:
        """A source, or a module of the import path: its file, text and digest."""
        found = self.texts.get(module)
        if found is not None:
            return found
        if module not in self.outside:
            self.outside[module] = _read_outside(self.path, module)
        return self.outside[module]

    def scan(self, module: str) -> ModuleScan | Diagnostic | None:
        """The scan of ``module``, its syntax error, or ``None`` if it is no source
        (nor a module loomgen can read on the import path)."""
        found = self._scans.get(module)
        if found is None:
            entry = self.entry(module)
            if entry is None:
                return None
            from loomgen.scan import scan_module

            found = scan_module(entry[0], entry[1])
            if isinstance(found, Diagnostic) and module not in self.texts:
                return None  # an unreadable module outside the sources: not seen
            self._scans[module] = found
        return found

    def digest(self, module: str) -> str | None:
        entry = self.entry(module)
        return None if entry is None else entry[2]


def _read_outside(path: ImportPath, module: str) -> SourceText | None:
    source = path.locate(module)
    if source is None:
        return None
    found, _ = read_texts([source])
    return found.get(module)


class Digests(Mapping[str, str]):
    """The digest of every source, and on demand of any module of the import
    path a record says it was built from (:func:`inputs_unchanged` asks)."""

    def __init__(self, index: SourceIndex) -> None:
        self.index = index

    def __getitem__(self, module: str) -> str:
        found = self.index.digest(module)
        if found is None:
            raise KeyError(module)
        return found

    def __iter__(self) -> Iterator[str]:
        return iter(self.index.texts)

    def __len__(self) -> int:
        return len(self.index.texts)


class RecordingModules(Mapping[str, "ModuleScan"]):
    """The scans of an index, seen as a mapping that remembers every name asked for."""

    def __init__(self, index: SourceIndex) -> None:
        self.index = index
        self.asked: set[str] = set()

    def __getitem__(self, module: str) -> ModuleScan:
        self.asked.add(module)
        found = self.index.scan(module)
        if found is None or isinstance(found, Diagnostic):
            raise KeyError(module)
        return found

    def __iter__(self) -> Iterator[str]:
        for module in sorted(self.index.texts):
            if module in self:
                yield module

    def __len__(self) -> int:
        return sum(1 for _ in self)


# -- building one module -------------------------------------------------------------


@dataclass
class ModuleOutcome:
    """What building one source module gave; all of it is cached."""

    module: str
    deps: dict[str, str | None]
    diagnostics: list[Diagnostic]
    entries: list[RegistryEntry] = field(default_factory=list)
    path: str | None = None
    output: str | None = None
    pieces: dict[str, str] = field(default_factory=dict)
    formatter: str | None = None
    ir: ModuleIR | None = None
    render_error: str | None = None
    read: dict[str, str] = field(default_factory=dict)
    """The :func:`~loom.core.engine.fingerprint.source_digest` of the text of each
    module the analysis read (the runtime's own digest, unlike ``deps``): what
    ``RuntimeExecutor.prepare_all`` compares with the modules it has loaded."""

    def record(self) -> Record:
        return {
            "module": self.module,
            "deps": self.deps,
            "diagnostics": [
                [d.path, d.line, d.column, d.message, d.severity.value] for d in self.diagnostics
            ],
            "entries": [entry_record(entry) for entry in self.entries],
            "path": self.path,
            "output": self.output,
            "pieces": self.pieces,
            "formatter": self.formatter,
            "read": self.read,
        }

    @classmethod
    def from_record(cls, record: Record) -> ModuleOutcome:
        return cls(
            module=record["module"],
            deps=record["deps"],
            diagnostics=[
                Diagnostic(path, line, column, message, Severity(severity))
                for path, line, column, message, severity in record["diagnostics"]
            ],
            entries=[entry_from_record(entry) for entry in record["entries"]],
            path=record["path"],
            output=record["output"],
            pieces=record.get("pieces", {}),
            read=record.get("read", {}),
        )


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


def needs_rendering(outcome: ModuleOutcome) -> bool:
    """Whether a module has a file to write (use cases and no errors of its own;
    with errors the build fails anyway)."""
    return outcome.ir is not None and not errors_in(outcome.diagnostics, strict=False)


Rendered = tuple[
    str | None, str | None, list[RegistryEntry], dict[str, str], str | None, str | None
]
"""``(path, output, entries, pieces used, formatter digest, render error)``."""


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


# -- the whole package -----------------------------------------------------------------


class _Ambient:
    """Marker: use :data:`active_cache`."""


AMBIENT: Any = _Ambient()


def generate(
    sources: Sequence[SourceFile],
    package: str,
    *,
    cache: BuildCache | None = AMBIENT,
    committed: Path | None = None,
) -> BuildResult:
    """Parse ``sources`` and render the generated package ``package`` in memory.

    ``cache`` (default: :data:`active_cache`) serves unchanged modules from an
    earlier build; so does ``committed``, an existing generated package whose
    :data:`INPUTS` file says what each of its modules was built from (a fresh
    clone has no cache, but has that). With or without them the result is
    the same.
    """
    if isinstance(cache, _Ambient):
        cache = active_cache.get()
    texts, problems = read_texts(sources)
    path = ImportPath.of(sources, package)
    digests = Digests(SourceIndex(texts, path))
    previous = read_inputs(committed, package) if committed is not None else {}
    outcomes: dict[str, ModuleOutcome] = {}
    tasks: list[tuple[str, Mapping[str, str]]] = []
    for module in sorted(texts):
        pieces: Mapping[str, str] = {}
        if cache is not None:
            record, stale = cache.lookup(module, digests)
            if record is not None:
                outcomes[module] = ModuleOutcome.from_record(record)
                continue
            if stale is not None and _reusable_pieces(stale, cache):
                pieces = stale["pieces"]
        reused = _committed_outcome(module, previous.get(module), digests, committed)
        if reused is not None:
            outcomes[module] = reused
            continue
        tasks.append((module, pieces))
    for outcome in build_modules(tasks, texts, path):
        outcomes[outcome.module] = outcome
        if cache is not None and outcome.render_error is None:
            cache.store(outcome.record())

    ordered = [outcomes[module] for module in sorted(outcomes)]
    diagnostics = merge_inherited(
        problems + [d for outcome in ordered for d in outcome.diagnostics]
    )
    modules = tuple(outcome.ir for outcome in ordered if outcome.ir is not None)
    rebuilt = tuple(sorted(module for module, _ in tasks))
    if errors_in(diagnostics, strict=False):
        return BuildResult({}, diagnostics, modules, rebuilt)
    for outcome in ordered:
        if outcome.render_error is not None:
            diagnostics.append(Diagnostic("<loomgen>", 1, 1, outcome.render_error, Severity.ERROR))
            return BuildResult({}, diagnostics, modules, rebuilt)

    files = {
        outcome.path: outcome.output
        for outcome in ordered
        if outcome.path is not None and outcome.output is not None
    }
    entries = sorted(entry for outcome in ordered for entry in outcome.entries)
    files.update(_package_files(entries, sorted(files), cache, source_roots(sources)))
    files[INPUTS] = inputs_text(ordered, package)
    return BuildResult(dict(sorted(files.items())), diagnostics, modules, rebuilt)


# -- what a generated package was built from -------------------------------------------

INPUTS = "_loomgen_inputs.json"
"""A file of every generated package: per source module that produced anything
(use cases, diagnostics), the digest of every input it was built from (its own text and every module its analysis read),
its diagnostics, registry entries, the hash of the file it produced, and the
runtime's digest of each module its analysis read (``read``: what
``RuntimeExecutor.prepare_all`` compares with the loaded sources); with
the toolchain that produced them. A build or check on a fresh clone (no build
cache) reuses each module whose inputs and output still match, and renders
only the others."""

INPUTS_FORMAT = 1


def inputs_text(outcomes: Sequence[ModuleOutcome], package: str) -> str:
    """The :data:`INPUTS` file for ``outcomes`` (stable JSON)."""
    import json

    from loomgen.cache import portable_toolchain_digest

    modules = {}
    for outcome in outcomes:
        if not (outcome.entries or outcome.path or outcome.diagnostics):
            continue  # nothing generated from it: recording it would only churn the file
        record = outcome.record()
        modules[outcome.module] = {
            "deps": record["deps"],
            "diagnostics": record["diagnostics"],
            "entries": record["entries"],
            "path": record["path"],
            "output": None if outcome.output is None else sha256(outcome.output),
            "read": record["read"],
        }
    document = {
        "format": INPUTS_FORMAT,
        "package": package,
        "toolchain": portable_toolchain_digest(),
        "modules": modules,
    }
    return json.dumps(document, indent=1, sort_keys=True, ensure_ascii=True) + "\n"


def settle_inputs(output: Path, files: Mapping[str, str]) -> dict[str, str]:
    """``files`` with the package's current :data:`INPUTS` file kept as it is when
    nothing else would change.

    The file is a verified hint, never trusted (every record is checked against
    the digests of today's sources and files), so a stale one costs time, not
    correctness. Keeping it when the generated code is unchanged means an edit
    that changes no generated code (a method body, a helper module) needs no
    rebuild and no commit: ``check`` passes and ``build`` writes nothing.
    """
    from loomgen.emit import EmitError, plan_changes

    wanted = dict(files)
    try:
        current = (output / INPUTS).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return wanted
    if INPUTS not in wanted or current == wanted[INPUTS]:
        return wanted
    kept = {**wanted, INPUTS: current}
    try:
        if not plan_changes(output, kept).changes_anything:
            return kept
    except EmitError:
        pass
    return wanted


def read_inputs(output: Path, package: str) -> dict[str, Record]:
    """The module records of an existing package's :data:`INPUTS` file, when it was
    written by this toolchain for this package; ``{}`` otherwise (or unreadable)."""
    import json

    from loomgen.cache import portable_toolchain_digest

    try:
        document = json.loads((output / INPUTS).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError):
        return {}
    if not (
        isinstance(document, dict)
        and document.get("format") == INPUTS_FORMAT
        and document.get("package") == package
        and document.get("toolchain") == portable_toolchain_digest()
        and isinstance(document.get("modules"), dict)
    ):
        return {}
    return {k: v for k, v in document["modules"].items() if isinstance(v, dict)}


def _committed_outcome(
    module: str, record: Record | None, digests: Mapping[str, str], output: Path | None
) -> ModuleOutcome | None:
    """``module``'s outcome from a committed record whose inputs are unchanged and
    whose output file is still exactly what it produced; else ``None``."""
    if record is None or output is None:
        return None
    if not inputs_unchanged(module, record.get("deps"), digests):
        return None
    path, digest = record.get("path"), record.get("output")
    text = None
    if path is not None:
        if not isinstance(path, str) or not isinstance(digest, str):
            return None
        try:
            text = (output / path).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            return None
        if sha256(text) != digest:
            return None  # edited by hand, or from another build
    try:
        return ModuleOutcome.from_record({**record, "module": module, "output": text})
    except (KeyError, TypeError, ValueError):
        return None


def _reusable_pieces(stale: Record, cache: BuildCache) -> bool:
    """Whether a stale record's formatted pieces may be reused: always when only
    sources changed; after a toolchain change, when black and its mode did not."""
    if not isinstance(stale.get("pieces"), dict):
        return False
    if stale.get("toolchain") == cache.toolchain:
        return True
    from loomgen.render import formatter_digest

    return stale.get("formatter") == formatter_digest()


def source_roots(sources: Sequence[SourceFile]) -> list[str]:
    """The fewest module names that cover ``sources``: a package whose
    ``__init__.py`` is a source stands for every module under it, any other
    module for itself. The registry records them so that the runtime can tell a
    module no build read from one a build read that had no use case then."""
    modules = {source.module for source in sources}
    packages = {source.module for source in sources if source.path.name == "__init__.py"}
    chosen = set()
    for module in modules:
        parts = module.split(".")
        root = module
        for end in range(1, len(parts)):
            prefix = ".".join(parts[:end])
            if prefix in packages:
                root = prefix
                break
        chosen.add(root)
    return sorted(chosen)


def _package_files(
    entries: list[RegistryEntry],
    paths: list[str],
    cache: BuildCache | None,
    sources: Sequence[str] = (),
) -> dict[str, str]:
    """The registry and the sub-package ``__init__`` files (cached as one record)."""
    key = sha256(repr((entries, paths, list(sources))))
    if cache is not None:
        found = cache.load_package(key)
        if found is not None:
            return found
    from loomgen.render import package_inits, render_registry_entries

    files = {"__init__.py": render_registry_entries(entries, sources)}
    files.update(package_inits([*files, *paths]))
    if cache is not None:
        cache.store_package(key, files)
    return files


def open_cache(folder: Path | None, root: Path, package: str) -> BuildCache | None:
    """The build cache in ``folder`` for a project (``None`` when disabled)."""
    if folder is None:
        return None
    return BuildCache(folder, config_digest(root, package))


def build_package(
    paths: Sequence[Path],
    output: Path,
    *,
    root: Path,
    strict: bool = False,
    cache_dir: Path | None = None,
) -> BuildResult:
    """Discover, generate and write ``output``; nothing is written on errors.

    ``cache_dir`` enables the build cache (off by default here; the CLI uses
    the configured one).
    """
    from loomgen.emit import write_package

    sources, problems = discover(paths, root=root, exclude=[output])
    result = generate(
        sources, output.name, cache=open_cache(cache_dir, root, output.name), committed=output
    )
    diagnostics = sorted(problems + result.diagnostics)
    if errors_in(diagnostics, strict=strict):
        return BuildResult({}, diagnostics, result.modules)
    files = settle_inputs(output, result.files)
    write_package(output, files)
    return BuildResult(files, diagnostics, result.modules, result.rebuilt)


def coverage_summary(files: Mapping[str, str]) -> str:
    """``N use cases compiled, M left to the interpreter``, read from the registry."""
    import ast

    counts = {"EXECUTORS": 0, "INTERPRETED": 0}
    registry = files.get("__init__.py", "")
    for node in ast.parse(registry).body:
        if isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            if node.target.id in counts and isinstance(node.value, ast.Dict):
                counts[node.target.id] = len(node.value.keys)
    compiled, interpreted = counts["EXECUTORS"], counts["INTERPRETED"]
    noun = "use case" if compiled == 1 else "use cases"
    return f"{compiled} {noun} compiled, {interpreted} left to the interpreter"


# -- explain ---------------------------------------------------------------------------


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


def find_use_case(modules: Sequence[ModuleIR], target: str) -> tuple[ModuleIR, UseCaseIR] | None:
    module_name, _, qualname = target.partition(":")
    for module in modules:
        if module.module == module_name:
            for uc in module.use_cases:
                if uc.qualname == qualname:
                    return module, uc
    return None


def explain(sources: Sequence[SourceFile], package: str, target: str) -> str:
    """The plan loomgen sees for ``MODULE:CLASS`` and the code it generates for it."""
    from loomgen.ir import ModuleIR
    from loomgen.render import render_module

    modules, diagnostics = analyse_sources(sources, package)
    found = find_use_case(modules, target)
    module_name, _, qualname = target.partition(":")
    for candidate in modules:
        for skipped in candidate.interpreted:
            if candidate.module == module_name and skipped.qualname == qualname:
                return f"{target}: left to the interpreter: {skipped.reason}"
    if found is None:
        raise LookupError(_not_found(modules, diagnostics, target))
    module, uc = found
    lines = [
        f"{uc.key}  ({uc.kind}, {'async' if uc.is_async else 'sync'} execute,"
        f" {'read-only' if uc.read_only else 'unit of work'})",
        f"  declared at {uc.location}; execute at {uc.execute_location}",
        f"  fingerprint {uc.fingerprint}",
        "  pipeline:",
    ]
    for p in uc.params:
        lines.append(f"    bind     {p.declaration}    [{p.location}]")
    if uc.input is not None:
        lines.append(f"    command  {uc.input.declaration}    [{uc.input.location}]")
    for load in uc.loads:
        lines.append(f"    load     {load.declaration}    [{load.location}]")
    for check in uc.exists:
        lines.append(f"    exists   {check.declaration}    [{check.location}]")
    for compute in uc.computes:
        lines.append(f"    compute  {compute.declaration}    [{compute.location}]")
    for rule in uc.rules:
        lines.append(f"    rule     {rule.declaration}    [{rule.location}]")
    lines.append("    execute")
    single = ModuleIR(module.module, module.path, (uc,))
    lines.extend(["", f"# generated into {package}/{module.module.replace('.', '/')}.py", ""])
    lines.append(render_module(single))
    return "\n".join(lines)


def _not_found(modules: Sequence[ModuleIR], diagnostics: Sequence[Diagnostic], target: str) -> str:
    """Why ``explain`` has nothing for ``target``: close names, or the problems about it."""
    module_name, _, qualname = target.partition(":")
    keys = sorted(f"{module.module}:{uc.qualname}" for module in modules for uc in module.use_cases)
    in_module = [key.partition(":")[2] for key in keys if key.partition(":")[0] == module_name]
    if in_module:
        close = difflib.get_close_matches(qualname, in_module, n=3, cutoff=0.5)
        where = f"class {qualname} not found among the use cases of {module_name}"
    else:
        close = difflib.get_close_matches(target, keys, n=3, cutoff=0.5)
        where = f"no use case {target} in the sources"
    message = f"{where}; did you mean {', '.join(close)}?" if close else where
    if in_module and not close:
        message += f" (its use cases: {', '.join(in_module)})"
    related = [str(d) for d in diagnostics if qualname and qualname in d.message]
    return "\n".join([message, *related])
