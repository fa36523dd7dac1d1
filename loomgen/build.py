"""Wire the stages together: discover -> parse -> render -> emit.

``generate`` is pure (reads sources, returns files and diagnostics);
``build_package`` also writes, and only when there is no error, so a failed
build leaves the previous generated package untouched.

Each source module is built on its own: scanned, analysed (names resolved
across the other sources, which are parsed on demand), rendered and
formatted. That makes two things cheap:

* **caching** (:mod:`loomgen.cache`, and the generated package's record of
  its inputs, :mod:`loomgen.inputs`): a module whose text and whose
  dependencies' texts (:mod:`loomgen.sources`) are unchanged is not parsed,
  analysed or formatted again; its previous result (:mod:`loomgen.outcome`)
  is reused;
* **parallelism** (:mod:`loomgen.workers`): when many modules need building,
  they are spread over a process pool (``$LOOMGEN_JOBS`` workers, default one
  per core). Each worker parses every module at most once.

The result does not depend on either: every module is analysed with fresh
state from the same inputs, so a cached, parallel or serial build produces the
same files and the same diagnostics.

Heavy dependencies (libcst, black, jinja2) are imported only when something
has to be parsed or rendered, so a fully cached build never loads them; black
only when a piece of code is not written in its canonical form already (see
:func:`loomgen.render.canonical_text`), which most builds never meet.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING

from loomgen.cache import BuildCache, Record, config_digest, sha256
from loomgen.diagnostics import Diagnostic, Severity, errors_in, merge_inherited
from loomgen.discover import SourceFile, discover
from loomgen.inputs import INPUTS, committed_outcome, inputs_text, read_inputs, settled_plan
from loomgen.entries import RegistryEntry
from loomgen.outcome import ModuleOutcome, is_compiled
from loomgen.sources import Digests, ImportPath, SourceIndex, read_texts
from loomgen.workers import build_modules

if TYPE_CHECKING:
    from loomgen.ir import ModuleIR


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
    compiled: int = 0
    """How many use cases the registry names a generated executor for."""
    interpreted: int = 0
    """How many use cases the registry leaves to the interpreter."""

    def errors(self, *, strict: bool = False) -> list[Diagnostic]:
        return errors_in(self.diagnostics, strict=strict)

    def coverage(self) -> str:
        """``N use cases compiled, M left to the interpreter``."""
        noun = "use case" if self.compiled == 1 else "use cases"
        return f"{self.compiled} {noun} compiled, {self.interpreted} left to the interpreter"


# -- the whole package -----------------------------------------------------------------


def generate(
    sources: Sequence[SourceFile],
    package: str,
    *,
    cache: BuildCache | None = None,
    committed: Path | None = None,
) -> BuildResult:
    """Parse ``sources`` and render the generated package ``package`` in memory.

    ``cache`` serves unchanged modules from an
    earlier build; so does ``committed``, an existing generated package whose
    :data:`~loomgen.inputs.INPUTS` file says what each of its modules was built from (a fresh
    clone has no cache, but has that). With or without them the result is
    the same.
    """
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
        reused = committed_outcome(module, previous.get(module), digests, committed)
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
    compiled = sum(1 for entry in entries if is_compiled(entry))
    return BuildResult(
        dict(sorted(files.items())),
        diagnostics,
        modules,
        rebuilt,
        compiled=compiled,
        interpreted=len(entries) - compiled,
    )


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
    from loomgen.emit import recover, write_plan

    sources, problems = discover(paths, root=root, exclude=[output])
    result = generate(
        sources, output.name, cache=open_cache(cache_dir, root, output.name), committed=output
    )
    diagnostics = sorted(problems + result.diagnostics)
    if errors_in(diagnostics, strict=strict):
        return BuildResult({}, diagnostics, result.modules)
    recover(output)
    plan = settled_plan(output, result.files)
    write_plan(plan)
    return replace(result, files=plan.files, diagnostics=diagnostics)
