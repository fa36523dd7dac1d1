"""Start the shop's HTTP server (``python -m examples.shop.serve``) as a real
process on 127.0.0.1 and a free port, and stop it.

The server prints ``shop: serving on http://HOST:PORT (MODE)`` once it
listens; :class:`ShopServer` waits for that line (the port is the one the
kernel chose for ``PORT=0``, so two servers never race for a port).
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
_LISTENING = re.compile(r"serving on (http://\S+)")


class ShopServer:
    """A running server process; ``url`` is its base URL."""

    def __init__(self, process: subprocess.Popen[str], url: str, output: list[str]) -> None:
        self.process = process
        self.url = url
        self.output = output

    def stop(self, timeout: float = 20) -> int:
        """SIGTERM (uvicorn's graceful shutdown), SIGKILL if it does not exit in time."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout)
        return self.process.returncode

    def log(self) -> str:
        return "".join(self.output)


@contextmanager
def shop_server(
    database_url: str | None = None,
    *,
    mode: str = "auto",
    env: Mapping[str, str] | None = None,
    startup_timeout: float = 60,
    module: str = "examples.shop.serve",
) -> Iterator[ShopServer]:
    """Run the shop server (or another ``module`` speaking the same protocol)
    for the duration of the ``with`` block."""
    environment = dict(os.environ)
    environment.pop("DATABASE_URL", None)
    environment.update(
        PORT="0",
        HOST="127.0.0.1",
        LOOM_EXECUTION_MODE=mode,
        PYTHONUNBUFFERED="1",
    )
    if database_url is not None:
        environment["DATABASE_URL"] = database_url
    environment.update(env or {})
    process = subprocess.Popen(
        [sys.executable, "-m", module],
        cwd=ROOT,
        env=environment,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    output: list[str] = []
    found = threading.Event()
    url: list[str] = []

    def pump() -> None:
        assert process.stdout is not None
        for line in process.stdout:
            output.append(line)
            match = _LISTENING.search(line)
            if match and not found.is_set():
                url.append(match.group(1))
                found.set()
        found.set()

    reader = threading.Thread(target=pump, daemon=True)
    reader.start()
    server = ShopServer(process, "", output)
    try:
        if not found.wait(startup_timeout) or not url:
            raise RuntimeError(f"the shop server did not start:\n{server.log()}")
        server.url = url[0]
        yield server
    finally:
        server.stop()
        reader.join(5)
