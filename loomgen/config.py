"""Settings for a loomgen run: ``[tool.loomgen]`` in ``pyproject.toml`` plus CLI overrides.

Paths written in ``pyproject.toml`` are relative to the folder that holds it
(the *project root*); paths given on the command line are relative to the
current working folder. Every path in a :class:`LoomgenConfig` is absolute and
normalised lexically (``..`` collapsed, symlinks left alone so that
:mod:`loomgen.discover` can still see them).

The output folder is the generated package, so its name must be an importable
Python identifier. It may sit inside a source folder: callers pass it to
:func:`loomgen.discover.discover` as ``exclude`` so generated code is never read
back as a source. It may not *be* a source folder or contain one (or the
project root), because the emitter owns every file under it.
"""

from __future__ import annotations

import difflib
import keyword
import os
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from loomgen.discover import absolute, display_path

PYPROJECT = "pyproject.toml"
DEFAULT_OUTPUT = "generated"
DEFAULT_CACHE = ".loomgen-cache"
KNOWN_KEYS = ("cache", "output", "sources", "strict")
_TABLE = "[tool.loomgen]"


class ConfigError(Exception):
    """The configuration cannot be used; the message names the file and the key."""


@dataclass(frozen=True)
class LoomgenConfig:
    """Resolved settings. All paths are absolute."""

    root: Path
    """Folder holding ``pyproject.toml`` (or the working folder when there is none)."""
    sources: tuple[Path, ...]
    """Package folders or single ``.py`` files to compile."""
    output: Path
    """Folder of the generated package; its name is the package's import name."""
    strict: bool = False
    """Treat warnings as errors."""
    cache_dir: Path | None = None
    """Where stages may keep a cache; ``None`` when disabled."""
    sources_key: str | None = None
    """Where the sources were configured (file, table and key), or ``None`` for ``--source``."""


def require_sources(config: LoomgenConfig) -> None:
    """Raise :class:`ConfigError` when a source configured in ``pyproject.toml`` does not exist.

    The message names the file and the key, and the closest existing path for
    each missing one. Sources given with ``--source`` are reported by the build
    itself, beside every other problem.
    """
    if config.sources_key is not None:
        _check_sources_exist(config.sources, config.root, config.sources_key)


def load_config(
    project: Path | None = None,
    *,
    sources: Sequence[str] | None = None,
    output: str | None = None,
    strict: bool | None = None,
) -> LoomgenConfig:
    """Read the settings for a run.

    ``project`` is the folder holding ``pyproject.toml`` (a path to the file
    itself is accepted too); without it, the nearest ``pyproject.toml`` in the
    working folder or one of its parents is used. ``sources`` and ``output``
    replace the configured values and are relative to the working folder;
    ``strict`` replaces the configured value unless it is ``None``.

    Raises :class:`ConfigError` when the file cannot be read, ``[tool.loomgen]``
    holds unknown keys or values of the wrong type, or no sources are known.
    """
    cwd = absolute(Path.cwd())
    pyproject = _find_pyproject(project, cwd)
    shown = display_path(pyproject, cwd) if pyproject is not None else PYPROJECT
    table: Mapping[str, object] | None = None
    if pyproject is not None:
        table = _read_table(pyproject, shown)
        root = pyproject.parent
    else:
        root = cwd

    if pyproject is not None and table is None:
        misnamed = _misnamed_table(pyproject)
        if misnamed is not None:
            raise ConfigError(
                f"{shown}: there is no {_TABLE} table, but there is [tool.{misnamed}]:"
                f" did you mean {_TABLE}?"
            )
    has_table = table is not None
    table = table or {}
    unknown = [key for key in table if key not in KNOWN_KEYS]
    if unknown:
        raise ConfigError(_unknown_keys(shown, unknown))

    sources_key: str | None = None
    if sources is not None:
        source_paths = tuple(_path_arg(s, cwd, "--source") for s in sources)
        if not source_paths:
            raise ConfigError("--source: give at least one path")
    elif "sources" in table:
        source_paths = tuple(
            _path_arg(s, root, f"{shown}: {_TABLE}: key 'sources'")
            for s in _str_list(table["sources"], shown, "sources")
        )
        if not source_paths:
            raise ConfigError(f"{shown}: {_TABLE}: key 'sources' must list at least one path")
        sources_key = f"{shown}: {_TABLE}: key 'sources'"
    elif pyproject is None:
        raise ConfigError(f"no {PYPROJECT} found in {cwd} or its parents and no --source given")
    elif not has_table:
        raise ConfigError(
            f"{shown}: there is no {_TABLE} table (add one with"
            ' sources = ["path/to/usecases"], or pass --source)'
        )
    else:
        raise ConfigError(
            f"{shown}: {_TABLE}: key 'sources' is missing "
            '(add sources = ["path/to/usecases"] or pass --source)'
        )

    if output is not None:
        output_path = _path_arg(output, cwd, "--output")
        output_where = "--output"
    else:
        raw = table.get("output", DEFAULT_OUTPUT)
        if not isinstance(raw, str):
            raise ConfigError(_type_error(shown, "output", "a folder path string", raw))
        output_where = f"{shown}: {_TABLE}: key 'output'"
        output_path = _path_arg(raw, root, output_where)

    if strict is None:
        raw_strict = table.get("strict", False)
        if not isinstance(raw_strict, bool):
            raise ConfigError(_type_error(shown, "strict", "true or false", raw_strict))
        strict = raw_strict

    raw_cache = table.get("cache", DEFAULT_CACHE)
    cache_dir: Path | None
    if raw_cache is False:
        cache_dir = None
    elif raw_cache is True:
        cache_dir = absolute(root / DEFAULT_CACHE)
    elif isinstance(raw_cache, str):
        cache_dir = _path_arg(raw_cache, root, f"{shown}: {_TABLE}: key 'cache'")
    else:
        raise ConfigError(_type_error(shown, "cache", "a folder path string or false", raw_cache))

    _check_output(output_path, source_paths, root, output_where)
    return LoomgenConfig(
        root=root,
        sources=source_paths,
        output=output_path,
        strict=strict,
        cache_dir=cache_dir,
        sources_key=sources_key,
    )


def _unknown_keys(shown: str, keys: Sequence[str]) -> str:
    """One message naming every unknown key, each with the known key it is closest to."""
    named = []
    for key in keys:
        close = difflib.get_close_matches(key, KNOWN_KEYS, n=1, cutoff=0.6)
        named.append(f"{key!r} (did you mean {close[0]!r}?)" if close else repr(key))
    noun = "key" if len(keys) == 1 else "keys"
    return (
        f"{shown}: {_TABLE}: unknown {noun} {', '.join(named)}; "
        f"known keys: {', '.join(KNOWN_KEYS)}"
    )


def _misnamed_table(pyproject: Path) -> str | None:
    """The ``[tool.X]`` table of ``pyproject`` that looks meant as ``[tool.loomgen]``."""
    with pyproject.open("rb") as handle:
        tool = tomllib.load(handle).get("tool", {})
    names = [name for name in tool if isinstance(name, str) and isinstance(tool[name], dict)]
    for name in names:
        if name.replace("-", "").replace("_", "").lower() == "loomgen":
            return name
    close = difflib.get_close_matches("loomgen", names, n=1, cutoff=0.75)
    return close[0] if close else None


def _check_sources_exist(sources: Sequence[Path], root: Path, where: str) -> None:
    """Name every configured source that does not exist, with the closest path that does."""
    missing = [source for source in sources if not source.exists()]
    if not missing:
        return
    named = []
    for source in missing:
        shown = display_path(source, root)
        close = closest_existing(source)
        named.append(
            f"{shown!r} (did you mean {display_path(close, root)!r}?)" if close else repr(shown)
        )
    noun = "path does" if len(missing) == 1 else "paths do"
    raise ConfigError(f"{where}: source {noun} not exist: {', '.join(named)}")


def closest_existing(path: Path) -> Path | None:
    """The existing folder or ``.py`` file beside ``path`` whose name is closest to its name."""
    parent = path.parent
    while not parent.is_dir() and parent != parent.parent:
        parent = parent.parent
    if parent != path.parent:
        return None
    try:
        entries = [
            entry.name
            for entry in os.scandir(parent)
            if not entry.name.startswith(".") and (entry.is_dir() or entry.name.endswith(".py"))
        ]
    except OSError:
        return None
    close = difflib.get_close_matches(path.name, entries, n=1, cutoff=0.6)
    return parent / close[0] if close else None


def _find_pyproject(project: Path | None, cwd: Path) -> Path | None:
    if project is not None:
        given = absolute(cwd / project)
        candidate = given if given.name == PYPROJECT and not given.is_dir() else given / PYPROJECT
        if not candidate.is_file():
            raise ConfigError(f"--project: no {PYPROJECT} at {display_path(candidate, cwd)}")
        return candidate
    for folder in (cwd, *cwd.parents):
        candidate = folder / PYPROJECT
        if candidate.is_file():
            return candidate
    return None


def _read_table(pyproject: Path, shown: str) -> Mapping[str, object] | None:
    try:
        with pyproject.open("rb") as handle:
            document = tomllib.load(handle)
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(f"{shown}: not valid TOML: {error}") from error
    except OSError as error:
        raise ConfigError(f"{shown}: cannot read: {error.strerror or error}") from error
    tool = document.get("tool", {})
    if not isinstance(tool, dict):
        raise ConfigError(f"{shown}: [tool] must be a table")
    if "loomgen" not in tool:
        return None
    table = tool["loomgen"]
    if not isinstance(table, dict):
        raise ConfigError(f"{shown}: {_TABLE} must be a table")
    return table


def _str_list(value: object, shown: str, key: str) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise ConfigError(_type_error(shown, key, "a list of path strings", value))
    return [str(item) for item in value]


def _type_error(shown: str, key: str, expected: str, value: object) -> str:
    return f"{shown}: {_TABLE}: key {key!r} must be {expected}, got {_toml_type(value)}"


def _toml_type(value: object) -> str:
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "an array" if all(isinstance(v, str) for v in value) else "an array of non-strings"
    if isinstance(value, dict):
        return "a table"
    return type(value).__name__


def _path_arg(value: str, base: Path, where: str) -> Path:
    if not value.strip():
        raise ConfigError(f"{where}: empty path")
    return absolute(base / value)


def _check_output(output: Path, sources: Sequence[Path], root: Path, where: str) -> None:
    name = output.name
    if not name.isidentifier() or keyword.iskeyword(name):
        raise ConfigError(
            f"{where}: the output folder name {name!r} is not a valid Python identifier "
            "(it is the generated package's import name)"
        )
    if root == output or root.is_relative_to(output):
        raise ConfigError(f"{where}: the output folder must not contain the project root")
    for source in sources:
        if source == output or source.is_relative_to(output):
            raise ConfigError(
                f"{where}: the output folder must not be or contain the source {source}"
            )
