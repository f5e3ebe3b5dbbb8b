"""Many jobs through the whole deployment: two granian web workers enqueue them from
HTTP requests (each inside the request's own transaction, with a key), two `jero
worker` processes consume them, and the database counts what ran.

JOBS_LOAD (default 10000) sets how many distinct jobs; one request in ten is sent
twice, as a client retrying a timed-out request would, and must not run twice.
"""

from __future__ import annotations

import asyncio
import os
import time

import httpx
import pytest

from tests.granian_server import granian
from tests.jobs.jobs_app import create_tables
from tests.jobs.jobs_support import jero_worker, query, wait_for

pytestmark = pytest.mark.server

TOTAL = int(os.environ.get("JOBS_LOAD", "10000"))
CLIENTS = 32


async def post_all(url: str, keys: list[str]) -> list[int]:
    """POST every key (bounded: `len(keys)` requests, `CLIENTS` at a time)."""
    queue: asyncio.Queue[str] = asyncio.Queue()
    for key in keys:
        queue.put_nowait(key)
    statuses: list[int] = []
    limits = httpx.Limits(max_connections=CLIENTS)
    async with httpx.AsyncClient(base_url=url, limits=limits, timeout=30.0) as client:

        async def client_loop() -> None:
            while not queue.empty():
                key = queue.get_nowait()
                response = await client.post("/jobs", json={"key": key})
                statuses.append(response.status_code)

        await asyncio.gather(*(client_loop() for _ in range(CLIENTS)))
    return statuses


def test_every_job_enqueued_over_http_runs_exactly_once(dsn: str) -> None:
    asyncio.run(create_tables(dsn))
    keys = [f"job-{n}" for n in range(TOTAL)]
    resent = keys[::10]
    env = {"JOBS_DSN": dsn}
    with (
        granian("tests.jobs.jobs_app:app", env, workers=2) as web,
        jero_worker(dsn, concurrency=8) as one,
        jero_worker(dsn, concurrency=8) as two,
    ):
        started = time.monotonic()
        statuses = asyncio.run(post_all(web.url, keys + resent))
        enqueued = time.monotonic() - started
        assert statuses == [202] * len(statuses), web.output()[-2000:]

        def all_handled() -> bool:
            [row] = query(dsn, "SELECT count(*) AS n FROM job_handled")
            return row["n"] >= TOTAL

        wait_for(f"{TOTAL} jobs handled", all_handled, one, two)
        wait_for(
            "every job recorded",
            lambda: query(dsn, "SELECT count(*) AS n FROM pgqueuer")[0]["n"] == 0,
            one,
            two,
        )
        finished = time.monotonic() - started
    [row] = query(
        dsn,
        "SELECT count(*) AS runs, count(DISTINCT key) AS keys, count(DISTINCT pid) AS pids "
        "FROM job_handled",
    )
    [jobs] = query(
        dsn,
        "SELECT count(*) AS n, count(*) FILTER (WHERE state = 'succeeded') AS ok FROM jero_jobs",
    )
    print(
        f"\nload: {len(statuses)} requests ({len(resent)} resent) -> {jobs['n']} jobs, "
        f"{row['runs']} handler runs on {row['pids']} workers; enqueued in {enqueued:.1f} s, "
        f"all done in {finished:.1f} s"
    )
    assert (row["runs"], row["keys"]) == (TOTAL, TOTAL)  # none lost, none twice
    assert row["pids"] == 2  # both workers took a share
    assert (jobs["n"], jobs["ok"]) == (TOTAL, TOTAL)
