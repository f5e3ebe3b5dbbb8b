"""Load on examples/bookshelf: wrk against granian (2 workers) on SQLite and PostgreSQL.

For each backend: a fresh database (a SQLite file in a temporary directory; a throwaway
PostgreSQL cluster from Debian's package, see tests/postgres_server.py), granian with
`--workers 2` serving `examples.bookshelf:app` on a free loopback port, a seed of books,
then `wrk` for `--duration` seconds with a mix of requests written in Lua: creates
(`POST /books`, an ISBN unique to the wrk thread and counter), reads by id and filtered
list pages (`?author=..&author=..`). Afterwards the books are counted twice, through
the API (walking the cursor pages) and in the database, and checked against the seed
plus the 201s wrk received: a create still in flight when wrk stopped may have
committed without wrk seeing its answer, so at most one per connection may be extra.
Any non-2xx answer, socket error or missing row fails the run.

Run from the repository root: `uv run python -m benchmarks.bookshelf_load --help`.
PostgreSQL runs with `synchronous_commit=off` (a commit survives a crash of the app or
of PostgreSQL, not of the OS within the last few hundred ms), close to SQLite's
`synchronous=NORMAL` in WAL mode.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

from benchmarks.servers import HOST, REPO_ROOT, Server, free_port, granian_command, stop_server
from examples.bookshelf import BookshelfFactory, store

sys.path.insert(0, str(REPO_ROOT / "tests"))  # tests/ is not a package
from postgres_server import postgres_server

AUTHORS = 10

LUA = r"""
-- Runs in every wrk thread; setup() runs in the main one and numbers the threads.
local threads = {}
local next_tid = 1

function setup(thread)
  thread:set("tid", next_tid)
  next_tid = next_tid + 1
  table.insert(threads, thread)
end

function init(args)
  first_id, last_id, write_share = tonumber(args[1]), tonumber(args[2]), tonumber(args[3])
  created, sent = 0, 0
  math.randomseed(tid * 7919)
end

function request()
  local r = math.random()
  if r < write_share then
    sent = sent + 1
    local body = string.format(
      '{"isbn":"979%02d%08d","title":"Load %d","author":"Author %d","genre":"load","year":2000}',
      tid, sent, sent, sent % 10)
    return wrk.format("POST", "/books", {["Content-Type"] = "application/json"}, body)
  elseif r < (1 + write_share) / 2 then
    return wrk.format("GET", "/books/" .. math.random(first_id, last_id))
  else
    return wrk.format("GET", string.format(
      "/books?limit=20&author=Author%%20%d&author=Author%%20%d",
      math.random(0, 9), math.random(0, 9)))
  end
end

function response(status, headers, body)
  if status == 201 then created = created + 1 end
end

function done(summary, latency, requests)
  local total = 0
  for _, thread in ipairs(threads) do total = total + thread:get("created") end
  io.write(string.format("created: %d\n", total))
end
"""


class LoadError(Exception):
    """The server did not start, wrk saw errors, or rows are missing afterwards."""


@dataclass
class LoadResult:
    backend: str
    requests: int
    requests_per_s: float
    p99_ms: float
    errors: int
    seeded: int
    created: int
    rows_api: int
    rows_database: int

    @property
    def in_flight(self) -> int:
        return self.rows_database - self.seeded - self.created


@contextmanager
def database_url(backend: str, scratch: Path) -> Iterator[str]:
    if "://" in backend:  # --database-url: an empty database made elsewhere (the tests)
        yield backend
        return
    if backend == "sqlite":
        yield f"sqlite:///{scratch / 'bookshelf.sqlite3'}"
        return
    with postgres_server({"synchronous_commit": "off"}) as server:
        yield server.create_database("bookshelf")


@contextmanager
def serve(url: str, workers: int, scratch: Path, startup_timeout: float) -> Iterator[Server]:
    port = free_port()
    log_path = scratch / "granian.log"
    command = [*granian_command(), "--interface", "asgi", "--workers", str(workers)]
    command += ["--host", HOST, "--port", str(port), "--log-level", "warning"]
    env = {**os.environ, "BOOKSHELF_DATABASE_URL": url, "PYTHONPATH": str(REPO_ROOT)}
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [*command, "examples.bookshelf:app"],
            cwd=REPO_ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    server = Server("bookshelf", workers, port, [process], log_path)
    try:
        deadline = time.monotonic() + startup_timeout
        while True:
            if process.poll() is not None:
                raise LoadError(f"granian exited early:\n{server.log_tail()}")
            try:
                httpx.get(f"http://{HOST}:{port}/books", timeout=1.0).raise_for_status()
                break
            except httpx.TransportError as error:
                if time.monotonic() > deadline:
                    tail = server.log_tail()
                    raise LoadError(f"no answer in {startup_timeout:g} s:\n{tail}") from error
                time.sleep(0.1)
        yield server
    finally:
        stop_server(server)


def seed(base: str, count: int) -> tuple[int, int]:
    """Shelve `count` books; return the first and last id."""
    ids: list[int] = []
    with httpx.Client(base_url=base, timeout=30) as client:
        for n in range(count):
            body = {
                "isbn": f"978{n:010d}",
                "title": f"Seed {n}",
                "author": f"Author {n % AUTHORS}",
                "genre": "seed",
                "year": 1900 + n % 100,
            }
            response = client.post("/books", json=body)
            if response.status_code != 201:
                raise LoadError(f"seeding: {response.status_code} {response.text}")
            ids.append(response.json()["bookId"])
    return min(ids), max(ids)


def count_via_api(base: str) -> int:
    rows = 0
    cursor: str | None = None
    with httpx.Client(base_url=base, timeout=30) as client:
        while True:
            params = {"limit": "100"} | ({"cursor": cursor} if cursor else {})
            page = client.get("/books", params=params).raise_for_status().json()
            rows += len(page["items"])
            cursor = page["nextCursor"]
            if cursor is None:
                return rows


def count_in_database(url: str) -> int:
    async def count() -> int:
        async with BookshelfFactory.open(url) as factory:
            database = await factory.database()
            async with database.transaction(readonly=True) as tx:
                return await store.count(tx)

    return asyncio.run(count())


_UNIT_MS = {"us": 0.001, "ms": 1.0, "s": 1000.0}


def run_wrk(args: argparse.Namespace, port: int, script: Path, ids: tuple[int, int]) -> str:
    command = ["wrk", f"-t{args.threads}", f"-c{args.connections}", f"-d{args.duration}s"]
    command += ["--timeout", "10s", "--latency", "-s", str(script), f"http://{HOST}:{port}"]
    command += ["--", str(ids[0]), str(ids[1]), str(args.write_share)]
    done = subprocess.run(
        command, capture_output=True, text=True, timeout=args.duration + 60, check=False
    )
    if done.returncode != 0:
        raise LoadError(f"wrk failed ({done.returncode}): {done.stderr or done.stdout}")
    return done.stdout


def number(pattern: str, text: str) -> str:
    found = re.search(pattern, text, re.MULTILINE)
    if found is None:
        raise LoadError(f"no {pattern!r} in wrk's output:\n{text}")
    return found.group(1)


def run_backend(args: argparse.Namespace, backend: str) -> LoadResult:
    with tempfile.TemporaryDirectory(prefix="bookshelf-load-") as tmp:
        scratch = Path(tmp)
        script = scratch / "mix.lua"
        script.write_text(LUA)
        with (
            database_url(backend, scratch) as url,
            serve(url, args.workers, scratch, args.startup_timeout) as server,
        ):
            base = f"http://{HOST}:{server.port}"
            ids = seed(base, args.seed)
            output = run_wrk(args, server.port, script, ids)
            if args.verbose:
                print(output)
            rows_api = count_via_api(base)
            rows_database = count_in_database(url)
            if "Traceback" in server.log_path.read_text(errors="replace"):
                raise LoadError(f"the server logged an exception:\n{server.log_tail(40)}")
    return LoadResult(
        backend=backend.split(":", 1)[0],
        requests=int(number(r"(\d+) requests in", output)),
        requests_per_s=float(number(r"^Requests/sec:\s+([\d.]+)", output)),
        p99_ms=p99_ms(output),
        errors=errors(output),
        seeded=args.seed,
        created=int(number(r"^created: (\d+)", output)),
        rows_api=rows_api,
        rows_database=rows_database,
    )


def p99_ms(output: str) -> float:
    found = re.search(r"^\s+99%\s+([\d.]+)(us|ms|s)\s*$", output, re.MULTILINE)
    return float(found.group(1)) * _UNIT_MS[found.group(2)] if found else float("nan")


def errors(output: str) -> int:
    """Non-2xx answers plus socket errors (connect, read, write, timeout)."""
    non_2xx = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", output)
    sockets = re.search(
        r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output
    )
    return (int(non_2xx.group(1)) if non_2xx else 0) + (
        sum(int(n) for n in sockets.groups()) if sockets else 0
    )


def check(result: LoadResult, connections: int) -> None:
    if result.errors:
        raise LoadError(f"{result.backend}: {result.errors} non-2xx answers or socket errors")
    if result.rows_api != result.rows_database:
        raise LoadError(
            f"{result.backend}: the API lists {result.rows_api} rows,"
            f" the database has {result.rows_database}"
        )
    if not 0 <= result.in_flight <= connections:
        raise LoadError(
            f"{result.backend}: {result.rows_database} rows for {result.seeded} seeded"
            f" + {result.created} created: {-result.in_flight} acknowledged writes are missing"
            if result.in_flight < 0
            else f"{result.backend}: {result.in_flight} more rows than writes in flight"
        )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--backend", nargs="+", choices=["sqlite", "postgresql"], default=["sqlite", "postgresql"]
    )
    parser.add_argument(
        "--database-url", help="load this empty database instead (its scheme names the backend)"
    )
    parser.add_argument("--duration", type=int, default=10, help="seconds of wrk per backend")
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--workers", type=int, default=2, help="granian workers")
    parser.add_argument("--seed", type=int, default=200, help="books shelved before the load")
    parser.add_argument("--write-share", type=float, default=0.2, help="share of POSTs")
    parser.add_argument("--startup-timeout", type=float, default=30.0)
    parser.add_argument("--verbose", action="store_true", help="print wrk's own output")
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is not installed (apt-get install wrk)")
    print(
        f"wrk -t{args.threads} -c{args.connections} -d{args.duration}s,"
        f" granian --workers {args.workers},"
        f" {args.write_share:.0%} POST /books, the rest GET /books/{{id}} and filtered pages"
    )
    print(
        "| backend | requests | req/s | p99 ms | errors | seeded | 201s"
        " | rows (API) | rows (db) | in flight at stop |"
    )
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    failures: list[str] = []
    for backend in [args.database_url] if args.database_url else args.backend:
        result = run_backend(args, backend)
        print(
            f"| {result.backend} | {result.requests} | {result.requests_per_s:.0f}"
            f" | {result.p99_ms:.1f} | {result.errors} | {result.seeded} | {result.created}"
            f" | {result.rows_api}"
            f" | {result.rows_database} | {result.in_flight} |",
            flush=True,
        )
        try:
            check(result, args.connections)
        except LoadError as error:
            failures.append(str(error))
    if failures:
        raise SystemExit("\n".join(failures))


if __name__ == "__main__":
    main()
