"""``python -m bench.http`` (part of ``make bench``): the shop served over HTTP under load.

The full load of tests/examples/http/load.py, 10,000 requests from 50 concurrent
clients (reads, orders failing their rules, orders and reservations racing
for stock), against the shop server in both modes and against
bench/http_baseline.py (the same routes written by hand on bare FastAPI),
each on a fresh SQLite file and, when the PostgreSQL binaries are installed,
a fresh PostgreSQL database. Client and server are separate processes on
127.0.0.1. Prints requests per second and p50/p99 latency per run; the
invariants are checked after every run (a failed check stops the bench).
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

from tests.examples.http.load import LoadResult, check_database, check_metrics, run_load
from tests.examples.http.scrape import scrape
from tests.examples.http.server import shop_server
from tests.load.test_shop_http import read_snapshot

TOTAL = 10_000
CLIENTS = 50


@dataclass
class Run:
    database: str
    server: str
    result: LoadResult


def _targets() -> list[tuple[str, str, str]]:
    """``(label, module, mode)`` of each server measured."""
    return [
        ("loom, generated", "examples.shop.serve", "generated"),
        ("loom, interpreted", "examples.shop.serve", "interpreted"),
        ("FastAPI by hand", "bench.http_baseline", "interpreted"),
    ]


def measure(
    total: int = TOTAL, clients: int = CLIENTS, postgres: bool = True, sqlite: bool = True
) -> list[Run]:
    runs: list[Run] = []
    folder = Path(tempfile.mkdtemp(prefix="loom-bench-http-"))
    databases: list[tuple[str, object]] = [("sqlite", None)] if sqlite else []
    pg = None
    if postgres:
        from tests.postgres import PostgresServer, find_bin_dir

        bin_dir = find_bin_dir()
        if bin_dir is not None:
            pg = PostgresServer(bin_dir)
            pg.start()
            databases.append(("postgresql", pg))
        else:
            print("  . PostgreSQL binaries not found: SQLite only")
    try:
        for database, server in databases:
            for label, module, mode in _targets():
                if server is None:
                    url = f"sqlite+aiosqlite:///{folder / f'{len(runs)}.db'}"
                else:
                    assert pg is not None
                    url = pg.create_database()
                with shop_server(url, mode=mode, module=module) as running:
                    result = asyncio.run(run_load(running.url, total=total, clients=clients))
                    samples = scrape(running.url) if module == "examples.shop.serve" else None
                check_database(result, read_snapshot(url))
                if samples is not None:
                    check_metrics(result, samples)
                runs.append(Run(database, label, result))
                print(f"  {database:<10} {label:<18} {result.summary()}", flush=True)
    finally:
        if pg is not None:
            pg.stop()
    return runs


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.http")
    parser.add_argument("--requests", type=int, default=TOTAL)
    parser.add_argument("--clients", type=int, default=CLIENTS)
    parser.add_argument("--no-postgres", action="store_true")
    parser.add_argument("--no-sqlite", action="store_true")
    args = parser.parse_args(argv)
    print(f"== HTTP load: {args.requests:,} requests, {args.clients} clients ==")
    runs = measure(args.requests, args.clients, not args.no_postgres, not args.no_sqlite)
    report(runs)
    return 0


def report(runs: list[Run]) -> None:
    by_key = {(run.database, run.server): run.result for run in runs}
    for database in sorted({run.database for run in runs}):
        hand = by_key.get((database, "FastAPI by hand"))
        for label in ("loom, generated", "loom, interpreted"):
            loom = by_key.get((database, label))
            if hand is None or loom is None:
                continue
            print(
                f"  {database}: {label} serves {loom.rps / hand.rps:.2f}x the requests per second"
                f" of FastAPI by hand; p50 {loom.percentile(50) / hand.percentile(50):.2f}x,"
                f" p99 {loom.percentile(99) / hand.percentile(99):.2f}x"
            )


if __name__ == "__main__":
    sys.exit(main())
