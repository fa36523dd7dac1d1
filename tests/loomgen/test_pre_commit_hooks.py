"""The hooks in ``.pre-commit-hooks.yaml``, run by the real ``pre-commit`` tool.

``pre-commit try-repo`` installs the hooks from a git repository into an
environment of its own (``pip install`` of that repository plus the hooks'
``additional_dependencies``, from PyPI) and runs them in a scratch git
repository holding a tiny app and its committed generated package. The hook
repository is a temporary clone of this working tree with its current state
committed, so uncommitted and new files are tested too.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from loomgen.cli import main as loomgen_main

REPO = Path(__file__).resolve().parents[2]

APP_PYPROJECT = """
[tool.loomgen]
sources = ["shopapp"]
output = "generated"
"""

APP = """
from loom.core.use_case import UseCase


class Double(UseCase[int, int]):
    async def execute(self, n: int) -> int:
        return 2 * n
"""

NEW_USE_CASE = """

class Triple(UseCase[int, int]):
    async def execute(self, n: int) -> int:
        return 3 * n
"""


def git(*args: str, cwd: Path) -> str:
    env = {
        **os.environ,
        "GIT_AUTHOR_NAME": "loom tests",
        "GIT_AUTHOR_EMAIL": "tests@loom.invalid",
        "GIT_COMMITTER_NAME": "loom tests",
        "GIT_COMMITTER_EMAIL": "tests@loom.invalid",
    }
    done = subprocess.run(
        ["git", *args], cwd=cwd, env=env, capture_output=True, text=True, check=True
    )
    return done.stdout


def commit_all(folder: Path, message: str) -> None:
    git("add", "-A", cwd=folder)
    git("commit", "-q", "--no-verify", "-m", message, cwd=folder)


def snapshot_of_this_repository(target: Path) -> Path:
    """This working tree (tracked and new, not ignored files) committed in a fresh repository."""
    listed = git("ls-files", "-z", "--cached", "--others", "--exclude-standard", cwd=REPO)
    for rel in filter(None, listed.split("\0")):
        source = REPO / rel
        if source.is_file():  # deleted but still tracked files are skipped
            (target / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target / rel)
    git("init", "-q", cwd=target)
    commit_all(target, "snapshot")
    return target


def loomgen_build(project: Path) -> None:
    old = os.getcwd()
    os.chdir(project)
    try:
        assert loomgen_main(["build", "-q", "--no-cache"]) == 0
    finally:
        os.chdir(old)


def try_repo(hooks: Path, hook: str, app: Path, home: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("LOOM_", "PRE_COMMIT"))}
    env["PRE_COMMIT_HOME"] = str(home)
    return subprocess.run(
        [sys.executable, "-m", "pre_commit", "try-repo", str(hooks), hook, "--all-files"],
        cwd=app,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
    )


@pytest.mark.slow
def test_hooks_pass_on_a_fresh_package_and_fail_on_a_stale_one(tmp_path: Path) -> None:
    hooks = snapshot_of_this_repository(tmp_path / "hooks")
    home = tmp_path / "pre-commit-home"
    app = tmp_path / "app"
    (app / "shopapp").mkdir(parents=True)
    (app / "pyproject.toml").write_text(APP_PYPROJECT)
    (app / "shopapp" / "__init__.py").write_text("")
    (app / "shopapp" / "usecases.py").write_text(APP)
    loomgen_build(app)
    git("init", "-q", cwd=app)
    commit_all(app, "app with its generated package")

    fresh = try_repo(hooks, "loomgen-check", app, home)
    assert fresh.returncode == 0, fresh.stdout + fresh.stderr
    assert "loomgen check" in fresh.stdout and "Passed" in fresh.stdout

    # A use case added without rebuilding: the committed package is stale.
    with (app / "shopapp" / "usecases.py").open("a") as stream:
        stream.write(NEW_USE_CASE)
    commit_all(app, "add Triple, forget to rebuild")
    stale = try_repo(hooks, "loomgen-check", app, home)
    assert stale.returncode == 1, stale.stdout + stale.stderr
    assert "Failed" in stale.stdout
    assert "loomgen: generated is out of date:" in stale.stdout
    for rel in ("__init__.py", "_loomgen_manifest.json", "shopapp/usecases.py"):
        assert f"  changed: {rel}\n" in stale.stdout, stale.stdout
    assert git("status", "--porcelain", cwd=app) == ""  # check never writes

    # The build hook rewrites the package, so pre-commit stops the commit...
    rebuilt = try_repo(hooks, "loomgen-build", app, home)
    assert rebuilt.returncode == 1, rebuilt.stdout + rebuilt.stderr
    assert "files were modified by this hook" in rebuilt.stdout
    changed = git("status", "--porcelain", cwd=app)
    assert "generated/shopapp/usecases.py" in changed
    assert "run_triple" in (app / "generated" / "shopapp" / "usecases.py").read_text()
    # ...and once that is committed, both hooks pass.
    commit_all(app, "rebuild")
    for hook in ("loomgen-check", "loomgen-build"):
        again = try_repo(hooks, hook, app, home)
        assert again.returncode == 0, again.stdout + again.stderr
