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
import socket
import subprocess
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

USER = "loom"
SKIP_REASON = (
    "PostgreSQL server binaries (initdb, postgres, pg_ctl) not found: apt-get install postgresql"
)


def find_bin_dir() -> Path | None:
    """The folder holding ``initdb``, ``pg_ctl`` and ``postgres``, or ``None``."""
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
        if all((folder / name).is_file() for name in ("initdb", "pg_ctl", "postgres")):
            return folder
    return None


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class PostgresServer:
    """One throwaway server; :meth:`start` and :meth:`stop` it."""

    def __init__(self, bin_dir: Path) -> None:
        self.bin_dir = bin_dir
        self.root = Path(tempfile.mkdtemp(prefix="loom-pg-"))
        self.data = self.root / "data"
        self.log = self.root / "server.log"
        self.port = 0
        self._run_as: str | None = None
        if os.geteuid() == 0:
            try:
                entry = pwd.getpwnam("postgres")
            except KeyError as error:
                raise RuntimeError(
                    "PostgreSQL cannot run as root and there is no 'postgres' user"
                ) from error
            self._run_as = "postgres"
            os.chown(self.root, entry.pw_uid, entry.pw_gid)

    def _server_command(self, *args: str) -> list[str]:
        command = [str(self.bin_dir / args[0]), *args[1:]]
        if self._run_as is not None:
            command = ["runuser", "-u", self._run_as, "--", *command]
        return command

    def _run(self, *args: str) -> None:
        done = subprocess.run(
            self._server_command(*args), capture_output=True, text=True, timeout=120
        )
        if done.returncode != 0:
            raise RuntimeError(
                f"{args[0]} failed (exit {done.returncode}):\n{done.stdout}{done.stderr}"
                + self._log_tail()
            )

    def _log_tail(self) -> str:
        try:
            return "\n--- server log ---\n" + self.log.read_text()[-3000:]
        except OSError:
            return ""

    def start(self) -> None:
        self._run(
            "initdb", "-D", str(self.data), "-U", USER, "--auth=trust",
            "--encoding=UTF8", "--locale=C", "--no-sync",
        )  # fmt: skip
        last_error: Exception | None = None
        for _ in range(5):  # a free port can be taken between probe and bind
            self.port = _free_port()
            options = (
                f"-p {self.port} -h 127.0.0.1 -k '' -c fsync=off -c full_page_writes=off "
                f"-c max_connections=200"
            )
            try:
                self._run(
                    "pg_ctl", "-D", str(self.data), "-l", str(self.log), "-o", options,
                    "-w", "-t", "60", "start",
                )  # fmt: skip
                return
            except RuntimeError as error:
                last_error = error
        raise RuntimeError(f"PostgreSQL did not start: {last_error}")

    def stop(self) -> None:
        try:
            if (self.data / "postmaster.pid").exists():
                self._run("pg_ctl", "-D", str(self.data), "-m", "fast", "-w", "stop")
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
