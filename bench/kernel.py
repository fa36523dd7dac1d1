"""loom-kernel 0.12.3, the reference the interpreter is compared with.

The kernel is installed into its own virtual environment,
``.bench/kernel-venv``, with ``pip install loom-kernel==0.12.3`` (once; the
folder is ignored by git). :mod:`bench.kernel_case` then runs there as a
long-lived subprocess that times N calls of its ``RuntimeExecutor`` on
request, so its measurements interleave with the in-process ones. When the
package cannot be installed (no network, no such version), the reason is
reported and the comparison is skipped.
"""

from __future__ import annotations

import subprocess
import sys
import venv
from pathlib import Path

from bench.harness import Remote

ROOT = Path(__file__).resolve().parent.parent
VENV = ROOT / ".bench" / "kernel-venv"
REQUIREMENT = "loom-kernel==0.12.3"
SCRIPT = ROOT / "bench" / "kernel_case.py"


def _python() -> Path:
    return VENV / ("Scripts/python.exe" if sys.platform == "win32" else "bin/python")


def ensure_installed() -> str | None:
    """Install the kernel if needed; return why it is unavailable, or ``None``."""
    python = _python()
    marker = VENV / ".installed"
    if python.exists() and marker.exists() and marker.read_text().strip() == REQUIREMENT:
        return None
    try:
        if not python.exists():
            venv.EnvBuilder(with_pip=True, clear=True).create(VENV)
        done = subprocess.run(
            [
                str(python),
                "-m",
                "pip",
                "install",
                "--quiet",
                "--disable-pip-version-check",
                REQUIREMENT,
            ],
            capture_output=True,
            text=True,
            timeout=300,
        )
    except (OSError, subprocess.SubprocessError) as error:
        return f"could not create {VENV.name}: {error}"
    if done.returncode != 0:
        lines = [line for line in (done.stderr or done.stdout).splitlines() if line.strip()]
        return f"pip install {REQUIREMENT} failed: {lines[-1] if lines else done.returncode}"
    marker.write_text(REQUIREMENT + "\n")
    return None


class KernelServer:
    """The kernel's use case in a subprocess; ``remote()`` plugs it into the harness."""

    def __init__(self) -> None:
        self.process = subprocess.Popen(
            [str(_python()), "-I", str(SCRIPT)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            bufsize=1,
        )

    def ask(self, line: str) -> str:
        assert self.process.stdin is not None and self.process.stdout is not None
        self.process.stdin.write(line + "\n")
        self.process.stdin.flush()
        reply = self.process.stdout.readline()
        if not reply:
            error = self.process.stderr.read() if self.process.stderr else ""
            raise RuntimeError(f"the loom-kernel subprocess stopped:\n{error}")
        return reply.strip()

    def check(self) -> str:
        return self.ask("check")

    def remote(self) -> Remote:
        return Remote(lambda n: float(self.ask(f"run {n}")))

    def close(self) -> None:
        try:
            self.ask("quit")
        except (RuntimeError, OSError, ValueError):
            pass
        self.process.wait(timeout=10)
