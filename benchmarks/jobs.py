"""Background jobs per backend: enqueue rate, process rate, end-to-end latency.

Backends: `inprocess` (the default in-process queue), `memory` (MemoryJobs: pgqueuer's
engine without a database) and `postgres` (PostgresJobs on a throwaway PostgreSQL
cluster from Debian's package, tests/postgres_server.py, fsync off).

- enqueue: `--jobs` adds from `--producers` concurrent coroutines while the handlers
  are held at a gate (the consumer takes at most `--concurrency` jobs and waits), in
  jobs/s;
- process: the gate opens; those jobs consumed by one process with `--concurrency`
  handlers, to the last one done, in jobs/s;
- latency: `--latency-jobs` jobs added one at a time to an idle running consumer,
  from `add` to the handler's first line: median and p95 in milliseconds.

Bounded in count (the numbers above) and in time (`--budget` seconds per phase). Run
from the repository root: `uv run python -m benchmarks.jobs` (`--quick` for a smoke run).
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import time
from pathlib import Path

from msgspec import Struct

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from jero import BackgroundTasks, MemoryJobs, PostgresJobs


class Tick(Struct):
    n: int
    added: float


class Sink:
    """The handler: held at `gate`; notes each job's latency; `done` at the count."""

    def __init__(self) -> None:
        self.gate = asyncio.Event()
        self.latencies: list[float] = []
        self.count = 0
        self.expected = 0
        self.done = asyncio.Event()

    async def handle(self, item: Tick) -> None:
        await self.gate.wait()
        self.latencies.append(time.perf_counter() - item.added)
        self.count += 1
        if self.count >= self.expected:
            self.done.set()

    def expect(self, count: int) -> None:
        self.count, self.expected, self.latencies = 0, count, []
        self.done = asyncio.Event()


async def add_all(tasks: BackgroundTasks, jobs: int, producers: int, budget: float) -> int:
    numbers = iter(range(jobs))
    deadline = time.perf_counter() + budget
    added = 0

    async def producer() -> None:
        nonlocal added
        for n in numbers:
            if time.perf_counter() > deadline:
                return
            await tasks.add(Tick(n, time.perf_counter()))
            added += 1

    await asyncio.gather(*(producer() for _ in range(producers)))
    return added


async def measure(tasks: BackgroundTasks, args: argparse.Namespace) -> list[float]:
    sink = Sink()
    async with tasks:
        tasks.register(sink.handle)
        started = time.perf_counter()
        added = await add_all(tasks, args.jobs, args.producers, args.budget)
        enqueue_rate = added / (time.perf_counter() - started)
        sink.expect(added)
        started = time.perf_counter()
        sink.gate.set()
        await asyncio.wait_for(sink.done.wait(), args.budget * 4)
        process_rate = added / (time.perf_counter() - started)
        sink.expect(args.latency_jobs)
        for n in range(args.latency_jobs):
            await tasks.add(Tick(n, time.perf_counter()))
            while sink.count <= n:
                await asyncio.sleep(0.0005)
        latencies = sorted(sink.latencies)
    median = statistics.median(latencies) * 1000
    p95 = latencies[max(int(len(latencies) * 0.95) - 1, 0)] * 1000
    return [enqueue_rate, process_rate, median, p95]


def run_backend(name: str, args: argparse.Namespace) -> list[float]:
    if name == "inprocess":
        return asyncio.run(measure(BackgroundTasks(maxsize=args.jobs + 1), args))
    if name == "memory":
        backend = MemoryJobs(concurrency=args.concurrency, poll_interval=0.05)
        return asyncio.run(measure(BackgroundTasks(backend=backend), args))
    if name == "postgres":
        from tests.postgres_server import postgres_server

        with postgres_server() as server:
            dsn = server.create_database("jobs_bench")
            backend = PostgresJobs(dsn, work=True, concurrency=args.concurrency)
            return asyncio.run(measure(BackgroundTasks(backend=backend), args))
    raise ValueError(f"unknown backend {name!r}")


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--backends", default="inprocess,memory,postgres")
    parser.add_argument("--jobs", type=int, default=5000)
    parser.add_argument("--producers", type=int, default=8)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--latency-jobs", type=int, default=200)
    parser.add_argument("--budget", type=float, default=30.0, help="seconds per phase")
    parser.add_argument("--quick", action="store_true", help="a few jobs (smoke test)")
    args = parser.parse_args()
    if args.quick:
        args.jobs, args.latency_jobs, args.budget = 200, 20, 10.0
    rows: list[tuple[str, list[float]]] = []
    for name in args.backends.split(","):
        try:
            rows.append((name, run_backend(name, args)))
        except Exception as error:  # a backend that cannot run here is reported, not fatal
            print(f"skipping {name}: {type(error).__name__}: {error}")
    print(f"\n{args.jobs} jobs, {args.producers} producers, concurrency {args.concurrency}")
    print(f"{'backend':<10} {'enqueue/s':>10} {'process/s':>10} {'p50 ms':>8} {'p95 ms':>8}")
    for name, (enqueue, process, median, p95) in rows:
        print(f"{name:<10} {enqueue:>10,.0f} {process:>10,.0f} {median:>8.2f} {p95:>8.2f}")


if __name__ == "__main__":
    main()
