"""Reading [tool.loomgen] from pyproject.toml and applying CLI overrides."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from loomgen.config import ConfigError, LoomgenConfig, load_config, require_sources


def write_pyproject(folder: Path, table: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "pyproject.toml"
    path.write_text(f'[project]\nname = "demo"\n\n[tool.loomgen]\n{table}\n')
    return path


def test_defaults(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write_pyproject(tmp_path, 'sources = ["src/app", "extra/one.py"]')
    monkeypatch.chdir(tmp_path)

    config = load_config()

    assert config == LoomgenConfig(
        root=tmp_path,
        sources=(tmp_path / "src" / "app", tmp_path / "extra" / "one.py"),
        output=tmp_path / "generated",
        strict=False,
        cache_dir=tmp_path / ".loomgen-cache",
        sources_key="pyproject.toml: [tool.loomgen]: key 'sources'",
    )
    assert all(p.is_absolute() for p in (config.root, config.output, *config.sources))
    with pytest.raises(dataclasses.FrozenInstanceError):
        config.strict = True  # type: ignore[misc]


def test_all_keys(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write_pyproject(
        tmp_path,
        'sources = ["app"]\noutput = "build/gen_pkg"\nstrict = true\ncache = "var/cache"',
    )
    monkeypatch.chdir(tmp_path)

    config = load_config()

    assert config.output == tmp_path / "build" / "gen_pkg"
    assert config.strict is True
    assert config.cache_dir == tmp_path / "var" / "cache"


def test_cache_can_be_disabled(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write_pyproject(tmp_path, 'sources = ["app"]\ncache = false')
    monkeypatch.chdir(tmp_path)
    assert load_config().cache_dir is None


def test_found_by_walking_up_and_relative_to_pyproject(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_pyproject(tmp_path, 'sources = ["app"]')
    nested = tmp_path / "app" / "deep"
    nested.mkdir(parents=True)
    monkeypatch.chdir(nested)

    config = load_config()

    assert config.root == tmp_path
    assert config.sources == (tmp_path / "app",)
    assert config.output == tmp_path / "generated"


def test_project_argument(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    project = tmp_path / "proj"
    write_pyproject(project, 'sources = ["app"]')
    monkeypatch.chdir(tmp_path)

    assert load_config(project).root == project
    assert load_config(project / "pyproject.toml").root == project
    assert load_config(Path("proj")).sources == (project / "app",)
    with pytest.raises(ConfigError, match="--project: no pyproject.toml"):
        load_config(tmp_path / "elsewhere")


def test_overrides_replace_and_are_relative_to_cwd(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_pyproject(tmp_path, 'sources = ["app"]\noutput = "generated"')
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)

    config = load_config(sources=["a", "../b/c.py"], output="out_pkg", strict=True)

    assert config.root == tmp_path
    assert config.sources == (work / "a", tmp_path / "b" / "c.py")
    assert config.output == work / "out_pkg"
    assert config.strict is True


def test_strict_false_override_beats_config(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_pyproject(tmp_path, 'sources = ["app"]\nstrict = true')
    monkeypatch.chdir(tmp_path)
    assert load_config().strict is True
    assert load_config(strict=False).strict is False


def test_unknown_key(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write_pyproject(tmp_path, 'sorces = ["app"]')
    monkeypatch.chdir(tmp_path)

    with pytest.raises(ConfigError) as caught:
        load_config()

    assert str(caught.value) == (
        "pyproject.toml: [tool.loomgen]: unknown key 'sorces' (did you mean 'sources'?); "
        "known keys: cache, output, sources, strict"
    )


def test_every_unknown_key_at_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write_pyproject(tmp_path, 'sources = ["app"]\noutpt = "gen"\nstrikt = true\nflavour = 1')
    monkeypatch.chdir(tmp_path)

    with pytest.raises(ConfigError) as caught:
        load_config()

    assert str(caught.value) == (
        "pyproject.toml: [tool.loomgen]: unknown keys 'outpt' (did you mean 'output'?), "
        "'strikt' (did you mean 'strict'?), 'flavour'; known keys: cache, output, sources, strict"
    )


@pytest.mark.parametrize(
    ("table", "key"),
    [
        ('sources = "app"', "sources"),
        ("sources = [1, 2]", "sources"),
        ('sources = ["app"]\noutput = 3', "output"),
        ('sources = ["app"]\nstrict = "yes"', "strict"),
        ('sources = ["app"]\ncache = 0', "cache"),
    ],
)
def test_wrong_types(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, table: str, key: str) -> None:
    write_pyproject(tmp_path, table)
    monkeypatch.chdir(tmp_path)

    with pytest.raises(
        ConfigError, match=rf"^pyproject\.toml: \[tool\.loomgen\]: key '{key}' must"
    ):
        load_config()


def test_table_of_wrong_type(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "pyproject.toml").write_text('[tool]\nloomgen = "yes"\n')
    monkeypatch.chdir(tmp_path)
    with pytest.raises(ConfigError, match=r"pyproject\.toml: \[tool\.loomgen\] must be a table"):
        load_config()


def test_invalid_toml(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "pyproject.toml").write_text("[tool.loomgen\n")
    monkeypatch.chdir(tmp_path)
    with pytest.raises(ConfigError, match=r"pyproject\.toml: not valid TOML"):
        load_config()


def test_empty_sources(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write_pyproject(tmp_path, "sources = []")
    monkeypatch.chdir(tmp_path)
    with pytest.raises(ConfigError, match="at least one path"):
        load_config()


def test_missing_pyproject_without_sources(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    if any((folder / "pyproject.toml").is_file() for folder in tmp_path.parents):
        pytest.skip("a pyproject.toml above the temporary folder would be found")
    with pytest.raises(ConfigError, match="no pyproject.toml found.*no --source given"):
        load_config()


def test_missing_pyproject_with_sources(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    if any((folder / "pyproject.toml").is_file() for folder in tmp_path.parents):
        pytest.skip("a pyproject.toml above the temporary folder would be found")

    config = load_config(sources=["app"])

    assert config.root == tmp_path
    assert config.sources == (tmp_path / "app",)
    assert config.output == tmp_path / "generated"


def test_pyproject_without_table_needs_sources(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "demo"\n')
    monkeypatch.chdir(tmp_path)

    with pytest.raises(ConfigError, match=r"pyproject\.toml: there is no \[tool\.loomgen\] table"):
        load_config()
    assert load_config(sources=["app"]).sources == (tmp_path / "app",)


@pytest.mark.parametrize("output", ["my-package", "class", "1st", "gen.pkg"])
def test_output_must_be_identifier(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, output: str
) -> None:
    write_pyproject(tmp_path, f'sources = ["app"]\noutput = "{output}"')
    monkeypatch.chdir(tmp_path)

    with pytest.raises(ConfigError, match="not a valid Python identifier"):
        load_config()
    with pytest.raises(ConfigError, match="^--output: .*not a valid Python identifier"):
        load_config(sources=["app"], output=output)


def test_output_inside_source_is_allowed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Allowed: the CLI excludes the output folder from discovery.
    write_pyproject(tmp_path, 'sources = ["app"]\noutput = "app/generated"')
    monkeypatch.chdir(tmp_path)
    assert load_config().output == tmp_path / "app" / "generated"


@pytest.mark.parametrize("output", ["app", "app/../app", "."])
def test_output_must_not_be_or_contain_a_source(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, output: str
) -> None:
    write_pyproject(tmp_path / "proj", 'sources = ["app"]')
    monkeypatch.chdir(tmp_path / "proj")
    with pytest.raises(ConfigError, match="--output: the output folder must not"):
        load_config(output=output)


# -- messages that point at the fix -----------------------------------------------------


@pytest.mark.parametrize("misnamed", ["loom-gen", "loom_gen", "LoomGen", "loomgn"])
def test_a_misnamed_table_is_named(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, misnamed: str
) -> None:
    (tmp_path / "app").mkdir()
    (tmp_path / "pyproject.toml").write_text(f'[tool.{misnamed}]\nsources = ["app"]\n')
    monkeypatch.chdir(tmp_path)

    with pytest.raises(ConfigError) as error:
        load_config()

    assert str(error.value) == (
        f"pyproject.toml: there is no [tool.loomgen] table, but there is [tool.{misnamed}]:"
        " did you mean [tool.loomgen]?"
    )


def test_no_table_at_all_says_so(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "pyproject.toml").write_text("[tool.black]\nline-length = 100\n")
    monkeypatch.chdir(tmp_path)

    with pytest.raises(ConfigError, match=r"^pyproject.toml: there is no \[tool.loomgen\] table"):
        load_config()


def test_a_configured_source_that_does_not_exist_names_the_key_and_the_closest_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "library").mkdir()
    (tmp_path / "src" / "orders").mkdir(parents=True)
    write_pyproject(tmp_path, 'sources = ["libary", "src/ordres", "nothing/like/it"]')
    monkeypatch.chdir(tmp_path)

    config = load_config()
    with pytest.raises(ConfigError) as error:
        require_sources(config)

    assert str(error.value) == (
        "pyproject.toml: [tool.loomgen]: key 'sources': source paths do not exist:"
        " 'libary' (did you mean 'library'?), 'src/ordres' (did you mean 'src/orders'?),"
        " 'nothing/like/it'"
    )
