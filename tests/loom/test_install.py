"""``import loom`` over a loom-kernel install says once what to do.

The folder stands for a site-packages where loomgen was installed over
loom-kernel: loomgen's ``loom`` package beside loom-kernel's distribution
metadata. ``-S`` keeps this venv's editable install of the checkout out of the
way, so ``loom`` is imported from that folder.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


def site_packages(tmp_path: Path, metadata: str | None) -> Path:
    folder = tmp_path / "site-packages"
    folder.mkdir()
    (folder / "loom").symlink_to(REPO / "loom", target_is_directory=True)
    if metadata is not None:
        (folder / metadata).mkdir()
        (folder / metadata / "METADATA").write_text(
            "Metadata-Version: 2.1\nName: loom-kernel\nVersion: 0.12.3\n"
        )
    return folder


def import_loom(folder: Path) -> subprocess.CompletedProcess[str]:
    code = (
        "import loom, importlib; importlib.reload(loom) and None; import loom; print(loom.__file__)"
    )
    return subprocess.run(
        [sys.executable, "-S", "-c", code],
        cwd=folder.parent,
        env={"PYTHONPATH": str(folder)},
        capture_output=True,
        text=True,
    )


@pytest.mark.parametrize(
    "metadata", ["loom_kernel-0.12.3.dist-info", "loom_kernel-0.12.3.egg-info"]
)
def test_loom_kernel_metadata_beside_loom_is_reported_once_with_the_fix(
    tmp_path: Path, metadata: str
) -> None:
    folder = site_packages(tmp_path, metadata)
    done = import_loom(folder)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == str(folder / "loom" / "__init__.py")
    warnings = [line for line in done.stderr.splitlines() if "RuntimeWarning" in line]
    assert len(warnings) == 1, done.stderr
    assert f"loom-kernel is installed beside loomgen ({metadata} in {folder})" in warnings[0]
    assert "Run `pip uninstall loom-kernel`, then reinstall loomgen" in warnings[0]
    assert "`pip install --force-reinstall " in warnings[0]


def test_nothing_is_said_without_loom_kernel(tmp_path: Path) -> None:
    done = import_loom(site_packages(tmp_path, None))
    assert (done.returncode, done.stderr) == (0, "")


def test_the_advice_names_where_loomgen_was_installed_from() -> None:
    from loom.install import install_hint, install_source

    # This venv's loomgen is the editable install of this checkout (`make install`).
    assert install_source() == str(REPO)
    assert install_hint("rest") == f"pip install '{REPO}[rest]'"
