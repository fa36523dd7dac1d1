"""A real PostgreSQL server for the tests, started and stopped by the tests themselves.

``postgres_server`` (session scope) runs ``initdb`` into a temporary folder and
starts ``postgres`` on 127.0.0.1 at a free port, with trust authentication
for the ``loom`` superuser and no Unix socket; it is stopped and its folder
deleted at the end of the session. ``server.create_database()`` gives each test
a fresh database and its SQLAlchemy URL.

The server binaries come from ``LOOM_PG_BIN`` if set, else the newest
``/usr/lib/postgresql/<version>/bin`` (Debian's ``postgresql`` package), else
``PATH``. Without them the tests that need the server are skipped with one
line saying so, unless ``CI`` is set: there a missing server fails.

PostgreSQL refuses to run as root; as root the server runs as the
``postgres`` system user the package creates. ``fsync`` is off: the data is
thrown away after the run, and commits still complete on the server before
the client sees them.

``tests/conftest.py`` imports the fixture, so every test module can ask for
``postgres_server`` (one server for the whole session).

Without the binaries (and without ``CI``), the tests that need the server
(those asking for ``postgres_server``, or for ``database_url`` on its
``postgresql`` side) are deselected at collection and the run ends with
one line saying how many and why.
"""

from __future__ import annotations

import os
import pwd
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

USER = "loom"
SKIP_REASON = "PostgreSQL server binaries (initdb, postgres, pg_isready) not found: apt-get install postgresql"


def find_bin_dir() -> Path | None:
    """The folder holding ``initdb``, ``postgres`` and ``pg_isready``, or ``None``."""
    override = os.environ.get("LOOM_PG_BIN")
    candidates = [Path(override)] if override else []
    versions = sorted(
        Path("/usr/lib/postgresql").glob("*/bin"),
        key=lambda p: int(p.parent.name) if p.parent.name.isdigit() else 0,
        reverse=True,
    )
    candidates += versions
    initdb = shutil.which("initdb")
    if initdb:
        candidates.append(Path(initdb).parent)
    for folder in candidates:
        if all((folder / name).is_file() for name in ("initdb", "postgres", "pg_isready")):
            return folder
    return None


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class PostgresServer:
    """One throwaway server; :meth:`start` and :meth:`stop` it.

    The postmaster is a child of the test process, started through
    ``setpriv --pdeathsig SIGINT`` where util-linux provides it: should the
    test process die without stopping it (killed, say), the kernel tells the
    server to shut down, so no server outlives the run.
    """

    def __init__(self, bin_dir: Path) -> None:
        self.bin_dir = bin_dir
        # As root the server runs as 'postgres', which must reach the folder: /tmp
        # is open to everyone, a $TMPDIR may not be.
        parent = "/tmp" if os.geteuid() == 0 else None
        self.root = Path(tempfile.mkdtemp(prefix="loom-pg-", dir=parent))
        self.data = self.root / "data"
        self.log = self.root / "server.log"
        self.port = 0
        self._process: subprocess.Popen[bytes] | None = None
        self._user: str | None = None
        if os.geteuid() == 0:
            try:
                entry = pwd.getpwnam("postgres")
            except KeyError as error:
                raise RuntimeError(
                    "PostgreSQL cannot run as root and there is no 'postgres' user"
                ) from error
            self._user = "postgres"
            os.chown(self.root, entry.pw_uid, entry.pw_gid)

    def _command(self, program: str, *args: str, server: bool = False) -> list[str]:
        command = [str(self.bin_dir / program), *args]
        setpriv = shutil.which("setpriv")
        if setpriv is not None:
            prefix = [setpriv]
            if self._user is not None:
                prefix += ["--reuid", self._user, "--regid", self._user, "--init-groups"]
            if server:
                prefix += ["--pdeathsig", "SIGINT"]
            return [*prefix, "--", *command]
        if self._user is not None:
            return ["runuser", "-u", self._user, "--", *command]
        return command

    def _log_tail(self) -> str:
        try:
            return "\n--- server log ---\n" + self.log.read_text()[-3000:]
        except OSError:
            return ""

    def start(self) -> None:
        done = subprocess.run(
            self._command(
                "initdb", "-D", str(self.data), "-U", USER, "--auth=trust",
                "--encoding=UTF8", "--locale=C", "--no-sync",
            ),
            capture_output=True, text=True, timeout=120,
        )  # fmt: skip
        if done.returncode != 0:
            raise RuntimeError(
                f"initdb failed (exit {done.returncode}):\n{done.stdout}{done.stderr}"
            )
        for _ in range(5):  # a free port can be taken between the probe and the bind
            self.port = _free_port()
            if self._launch():
                return
        raise RuntimeError("PostgreSQL did not start" + self._log_tail())

    def _launch(self) -> bool:
        """Start the postmaster on ``self.port``; ``False`` if it exited before accepting."""
        with open(self.log, "ab") as log:
            self._process = subprocess.Popen(
                self._command(
                    "postgres", "-D", str(self.data), "-p", str(self.port), "-h", "127.0.0.1",
                    "-k", "", "-c", "fsync=off", "-c", "full_page_writes=off",
                    "-c", "max_connections=200",
                    server=True,
                ),
                stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
            )  # fmt: skip
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                self._process = None
                return False
            ready = subprocess.run(
                [str(self.bin_dir / "pg_isready"), "-q", "-h", "127.0.0.1", "-p", str(self.port)],
                timeout=30,
            )
            if ready.returncode == 0:
                return True
            time.sleep(0.05)
        self.stop_server()
        raise RuntimeError("PostgreSQL did not accept connections within 60 s" + self._log_tail())

    def stop_server(self) -> None:
        """Shut the server down (fast: open transactions are rolled back); keep its data."""
        process, self._process = self._process, None
        if process is None:
            return
        process.send_signal(signal.SIGINT)  # fast shutdown: roll back, close, exit
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()

    def restart_server(self) -> None:
        """Start the server again after :meth:`stop_server`, on the same port and data."""
        for _ in range(50):  # the old socket may linger a moment
            if self._launch():
                return
            time.sleep(0.1)
        raise RuntimeError(f"PostgreSQL did not restart on port {self.port}" + self._log_tail())

    def stop(self) -> None:
        try:
            self.stop_server()
        finally:
            shutil.rmtree(self.root, ignore_errors=True)

    def url(self, database: str = "postgres", driver: str = "asyncpg") -> str:
        return f"postgresql+{driver}://{USER}@127.0.0.1:{self.port}/{database}"

    def dsn(self, database: str = "postgres") -> str:
        """A libpq/asyncpg connection string (no SQLAlchemy driver name)."""
        return f"postgresql://{USER}@127.0.0.1:{self.port}/{database}"

    def psql(self, sql: str, database: str = "postgres") -> str:
        done = subprocess.run(
            [str(self.bin_dir / "psql"), "-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1",
             "-h", "127.0.0.1", "-p", str(self.port), "-U", USER, "-d", database, "-c", sql],
            capture_output=True, text=True, timeout=60,
        )  # fmt: skip
        if done.returncode != 0:
            raise RuntimeError(f"psql failed: {done.stderr}")
        return done.stdout.strip()

    async def create_database_async(self, name: str | None = None) -> str:
        """:meth:`create_database` from a running event loop (asyncpg, no subprocess).

        ``FILE_COPY`` copies the small template's files instead of writing them
        all to the WAL (the default from PostgreSQL 15 on): about half the time.
        """
        import asyncpg

        name = name or f"t_{uuid.uuid4().hex[:16]}"
        connection = await asyncpg.connect(self.dsn())
        try:
            strategy = " STRATEGY FILE_COPY" if connection.get_server_version().major >= 15 else ""
            await connection.execute(f'CREATE DATABASE "{name}" TEMPLATE template0{strategy}')
        finally:
            await connection.close()
        return self.url(name)

    def create_database(self, name: str | None = None) -> str:
        """Create an empty database; returns its ``postgresql+asyncpg://`` URL."""
        name = name or f"t_{uuid.uuid4().hex[:16]}"
        self.psql(f'CREATE DATABASE "{name}"')
        return self.url(name)


_SKIPPED = pytest.StashKey[int]()


def needs_postgres(item: pytest.Item) -> bool:
    callspec = getattr(item, "callspec", None)
    params = callspec.params if callspec is not None else {}
    fixtures = getattr(item, "fixturenames", ())
    return "postgres_server" in fixtures or params.get("database_url") == "postgresql"


@pytest.hookimpl(trylast=True)  # after -k and -m have deselected theirs
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if os.environ.get("CI") or find_bin_dir() is not None:
        return
    skipped = [item for item in items if needs_postgres(item)]
    if skipped:
        config.hook.pytest_deselected(items=skipped)
        items[:] = [item for item in items if not needs_postgres(item)]
        config.stash[_SKIPPED] = len(skipped)


def pytest_terminal_summary(terminalreporter: Any, exitstatus: int, config: pytest.Config) -> None:
    skipped = config.stash.get(_SKIPPED, 0)
    if skipped:
        terminalreporter.write_line(f"SKIPPED {skipped} PostgreSQL tests: {SKIP_REASON}")


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    bin_dir = find_bin_dir()
    if bin_dir is None:
        if os.environ.get("CI"):
            pytest.fail(f"CI is set and {SKIP_REASON}")
        pytest.skip(SKIP_REASON)
    server = PostgresServer(bin_dir)
    try:
        server.start()
        yield server
    finally:
        server.stop()
