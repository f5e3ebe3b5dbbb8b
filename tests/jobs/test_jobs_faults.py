"""`jero worker` processes against a real PostgreSQL, under faults.

A worker SIGKILLed mid-job: the job runs again on another worker and completes. The
database restarted mid-run: every job still completes. SIGTERM: the running job gets
the drain time, then goes back to the queue. Every count comes from the tables the
handler writes (tests/jobs/jobs_app.py), never from the workers' own word.
"""

from __future__ import annotations

import signal

import anyio
import pytest

from jero import BackgroundTasks, JobId, PostgresJobs
from jero._cli import main
from tests.jobs.jobs_app import Work, create_tables
from tests.jobs.jobs_support import jero_worker, query, restart_postgres, wait_for
from tests.postgres_server import PostgresServer
from tests.processes import stop

pytestmark = pytest.mark.server


def enqueue(dsn: str, *items: Work) -> list[JobId]:
    """Add jobs from a process that only enqueues (as a web worker does)."""

    async def handle(item: Work) -> None:  # never runs here: this process does not work
        raise AssertionError(item)

    async def main() -> list[JobId]:
        await create_tables(dsn)
        async with BackgroundTasks(backend=PostgresJobs(dsn)) as tasks:
            tasks.register(handle)
            return [await tasks.add(item, key=item.key) for item in items]

    return anyio.run(main)


def counts(dsn: str, table: str) -> dict[str, int]:
    rows = query(dsn, f"SELECT key, count(*) AS n FROM {table} GROUP BY key")
    return {row["key"]: row["n"] for row in rows}


def states(dsn: str) -> dict[str, int]:
    rows = query(dsn, "SELECT state, count(*) AS n FROM jero_jobs GROUP BY state")
    return {row["state"]: row["n"] for row in rows}


def test_a_job_whose_worker_is_killed_runs_again_and_completes(dsn: str) -> None:
    [job] = enqueue(dsn, Work("slow", first_run_seconds=600))
    with jero_worker(dsn) as first:
        wait_for(
            "the first worker starts the job", lambda: "slow" in counts(dsn, "job_started"), first
        )
        stop(first.process, signal.SIGKILL)
    with jero_worker(dsn) as second:
        wait_for("the job completes", lambda: "slow" in counts(dsn, "job_handled"), second)
        handled = query(dsn, "SELECT pid FROM job_handled")
        assert [row["pid"] for row in handled] == [second.process.pid]
    assert counts(dsn, "job_started") == {"slow": 2}
    assert counts(dsn, "job_handled") == {"slow": 1}
    row = query(dsn, "SELECT state FROM jero_jobs WHERE id = $1", job)
    assert row[0]["state"] == "succeeded"


def test_sigterm_returns_a_running_job_to_the_queue_after_the_drain_time(dsn: str) -> None:
    [job] = enqueue(dsn, Work("slow", first_run_seconds=600))
    with jero_worker(dsn, JOBS_DRAIN="0.2") as first:
        wait_for("the worker starts the job", lambda: "slow" in counts(dsn, "job_started"), first)
        assert stop(first.process, signal.SIGTERM) == 0
        assert "stopping; running jobs finish or go back to the queue" in first.output()
    [row] = query(dsn, "SELECT status::text, attempts FROM pgqueuer WHERE id = $1", job)
    assert (row["status"], row["attempts"]) == ("queued", 1)  # returned, not lost
    with jero_worker(dsn) as second:
        wait_for("the job completes", lambda: "slow" in counts(dsn, "job_handled"), second)
    assert counts(dsn, "job_handled") == {"slow": 1}


def test_sigterm_lets_a_short_job_finish(dsn: str) -> None:
    enqueue(dsn, Work("short", first_run_seconds=1.0))
    with jero_worker(dsn, JOBS_DRAIN="30") as worker:
        wait_for("the worker starts the job", lambda: "short" in counts(dsn, "job_started"), worker)
        assert stop(worker.process, signal.SIGTERM) == 0
    assert counts(dsn, "job_handled") == {"short": 1}
    assert counts(dsn, "job_started") == {"short": 1}
    assert states(dsn) == {"succeeded": 1}


def test_a_database_restart_mid_run_loses_no_job(postgres: PostgresServer, dsn: str) -> None:
    total = 300
    enqueue(dsn, *(Work(f"job-{n}", first_run_seconds=0.01) for n in range(total)))
    with jero_worker(dsn, concurrency=4) as worker:
        wait_for(
            "a fifth of the jobs", lambda: len(counts(dsn, "job_handled")) >= total // 5, worker
        )
        restart_postgres(postgres)
        done_before = len(counts(dsn, "job_handled"))
        wait_for("every job", lambda: len(counts(dsn, "job_handled")) == total, worker)
        wait_for("every job recorded", lambda: states(dsn) == {"succeeded": total}, worker)
        assert "Job worker lost its database" in worker.output()
    handled = counts(dsn, "job_handled")
    runs = sum(handled.values())
    print(
        f"\ndatabase restart: {total} enqueued, {done_before} done at the restart, "
        f"{len(handled)} completed, {runs} handler completions ({runs - total} repeated)"
    )
    assert sorted(handled) == sorted(f"job-{n}" for n in range(total))


def test_the_worker_command_refuses_an_app_without_durable_tasks(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["worker", "tests.cli_apps:app"]) == 2
    assert capsys.readouterr().err == (
        "jero worker: error: tests.cli_apps:app creates no durable background tasks; give "
        "_create_background_tasks a backend= (e.g. PostgresJobs)\n"
    )


def test_killing_one_of_two_workers_mid_run_loses_no_job(dsn: str) -> None:
    total = 200
    enqueue(dsn, *(Work(f"job-{n}", first_run_seconds=0.05) for n in range(total)))
    with jero_worker(dsn, concurrency=4) as doomed, jero_worker(dsn, concurrency=4) as survivor:
        some = total // 5
        wait_for("some jobs", lambda: len(counts(dsn, "job_handled")) >= some, doomed, survivor)
        stop(doomed.process, signal.SIGKILL)
        wait_for("every job", lambda: len(counts(dsn, "job_handled")) == total, survivor)
        wait_for("every job recorded", lambda: states(dsn) == {"succeeded": total}, survivor)
    handled = counts(dsn, "job_handled")
    started = counts(dsn, "job_started")
    print(
        f"\nworker killed mid-run: {total} enqueued, {len(handled)} completed, "
        f"{sum(started.values()) - total} runs started again after the kill"
    )
    assert sorted(handled) == sorted(f"job-{n}" for n in range(total))
