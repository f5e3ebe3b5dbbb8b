"""Channel fan-out: one publisher, 1,000 subscribers spread over two worker processes.

For each backend, two worker processes each open a hub and N/2 subscriptions to one
topic, then report ready; the parent process publishes from a hub of its own. Two
phases per backend, each bounded in count:

- throughput: a burst of `--burst` items published back to back; messages/s is the
  burst size over the time from the first publish to the last item reaching the last
  subscriber (deliveries/s is that times the subscriber count);
- latency: `--paced` items published `--interval` seconds apart; every delivery's
  latency is the time from just before `publish` to the subscriber reading the item
  (CLOCK_MONOTONIC, shared by the processes of one machine), reported as p50 / p99.

Subscribers are hub subscriptions (a task each reading its `Subscription`), not
sockets: this measures the channel, not a WebSocket server. The in-process backend
cannot span processes, so its row runs the 1,000 subscribers inside the publisher's
process. Redis and PostgreSQL are started by the script on free loopback ports.

    uv run python -m benchmarks.channels_fanout                      # every backend
    uv run python -m benchmarks.channels_fanout --backends redis --subscribers 200
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager

from msgspec import Struct

from jero import Channels, Subscription, backend_from_url
from tests.processes import spawn, stop

BACKENDS = ("memory", "redis", "postgres")


class Stamp(Struct):
    n: int
    sent: int  # time.monotonic_ns() just before publish
    phase: str


# --- the subscriber side -------------------------------------------------------------


async def _read(subscription: Subscription[Stamp], expect: int, out: list[tuple[str, int]]) -> None:
    seen = 0
    async for item in subscription:
        out.append((item.phase, time.monotonic_ns() - item.sent))
        seen += 1
        if seen == expect:
            return


async def subscribe_and_measure(
    url: str | None, count: int, expect: int, ready: asyncio.Event | None
) -> tuple[list[tuple[str, int]], int, int]:
    """Open `count` subscriptions; return every (phase, latency) once each subscriber
    got `expect` items, the items dropped, and the time the last one arrived."""
    latencies: list[tuple[str, int]] = []
    async with Channels(backend_from_url(url), buffer=expect + 1) as hub:
        stamps = hub.channel("stamps", Stamp)
        subscriptions = [stamps.subscribe("fanout") for _ in range(count)]
        for subscription in subscriptions:
            await subscription.__aenter__()
        if ready is None:
            print("ready", flush=True)
        else:
            ready.set()
        await asyncio.wait_for(
            asyncio.gather(*(_read(s, expect, latencies) for s in subscriptions)), 120
        )
        done = time.monotonic_ns()
        dropped = sum(s.dropped for s in subscriptions)
        for subscription in subscriptions:
            await subscription.aclose()
    return latencies, dropped, done


def worker(url: str, count: int, expect: int) -> None:
    latencies, dropped, done = asyncio.run(subscribe_and_measure(url, count, expect, None))
    json.dump({"latencies": latencies, "dropped": dropped, "done": done}, sys.stdout)


# --- the publisher side --------------------------------------------------------------


async def publish(url: str | None, burst: int, paced: int, interval: float) -> int:
    """Publish the burst, then the paced items; returns when the burst started."""
    async with Channels(backend_from_url(url)) as hub:
        stamps = hub.channel("stamps", Stamp)
        started = time.monotonic_ns()
        for n in range(burst):
            await stamps.publish(Stamp(n, time.monotonic_ns(), "burst"), key="fanout")
        await asyncio.sleep(1.0)  # let the burst drain before latency is measured
        for n in range(paced):
            await stamps.publish(Stamp(n, time.monotonic_ns(), "paced"), key="fanout")
            await asyncio.sleep(interval)
    return started


@contextmanager
def broker(name: str) -> Iterator[str | None]:
    if name == "memory":
        yield None
    elif name == "redis":
        from tests.redis_server import redis_server

        with redis_server() as server:
            yield server.url
    else:
        from tests.postgres_server import postgres_server

        with postgres_server() as server:
            yield server.url()


def run_backend(
    name: str, subscribers: int, burst: int, paced: int, interval: float
) -> dict[str, float]:
    expect = burst + paced
    with ExitStack() as stack:
        url = stack.enter_context(broker(name))
        if url is None:
            latencies, dropped, done, started = asyncio.run(
                _in_process(subscribers, expect, burst, paced, interval)
            )
            ends = [done]
        else:
            command = [sys.executable, "-m", "benchmarks.channels_fanout", "--worker", url]
            command += ["--subscribers", str(subscribers // 2), "--expect", str(expect)]
            workers = [spawn(command, stdout=subprocess.PIPE, stderr=None) for _ in range(2)]
            try:
                for process in workers:
                    assert process.stdout is not None
                    line = process.stdout.readline().decode().strip()
                    if line != "ready":
                        raise RuntimeError(f"a {name} worker did not start: {line!r}")
                started = asyncio.run(publish(url, burst, paced, interval))
                results = [json.loads(p.communicate(timeout=180)[0]) for p in workers]
            finally:
                for process in workers:
                    stop(process)
            latencies = [tuple(pair) for r in results for pair in r["latencies"]]
            dropped = sum(r["dropped"] for r in results)
            ends = [r["done"] for r in results]
    burst_latencies = [ns for phase, ns in latencies if phase == "burst"]
    paced_latencies = sorted(ns for phase, ns in latencies if phase == "paced")
    # The burst ended when its last item reached its last subscriber.
    burst_end = started + max(burst_latencies) if burst_latencies else max(ends)
    seconds = (burst_end - started) / 1e9
    return {
        "messages_per_s": burst / seconds,
        "deliveries_per_s": burst * subscribers / seconds,
        "p50_ms": statistics.median(paced_latencies) / 1e6,
        "p99_ms": paced_latencies[int(len(paced_latencies) * 0.99) - 1] / 1e6,
        "deliveries": len(latencies),
        "dropped": dropped,
    }


async def _in_process(
    subscribers: int, expect: int, burst: int, paced: int, interval: float
) -> tuple[list[tuple[str, int]], int, int, int]:
    # One hub shared by publisher and subscribers: the in-process backend's whole point.
    latencies: list[tuple[str, int]] = []
    async with Channels(buffer=expect + 1) as hub:
        stamps = hub.channel("stamps", Stamp)
        subscriptions = [stamps.subscribe("fanout") for _ in range(subscribers)]
        for subscription in subscriptions:
            await subscription.__aenter__()
        readers = asyncio.gather(*(_read(s, expect, latencies) for s in subscriptions))
        started = time.monotonic_ns()
        for n in range(burst):
            await stamps.publish(Stamp(n, time.monotonic_ns(), "burst"), key="fanout")
        await asyncio.sleep(1.0)
        for n in range(paced):
            await stamps.publish(Stamp(n, time.monotonic_ns(), "paced"), key="fanout")
            await asyncio.sleep(interval)
        await asyncio.wait_for(readers, 120)
        dropped = sum(s.dropped for s in subscriptions)
    return latencies, dropped, time.monotonic_ns(), started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--backends", default=",".join(BACKENDS))
    parser.add_argument("--subscribers", type=int, default=1000)
    parser.add_argument("--burst", type=int, default=200)
    parser.add_argument("--paced", type=int, default=100)
    parser.add_argument("--interval", type=float, default=0.01)
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    parser.add_argument("--expect", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        worker(args.worker, args.subscribers, args.expect)
        return
    print(
        f"fan-out to {args.subscribers} subscribers (two worker processes for brokers); "
        f"burst of {args.burst}, then {args.paced} paced {args.interval * 1000:.0f} ms apart"
    )
    print(
        f"{'backend':<10} {'messages/s':>11} {'deliveries/s':>13} {'p50 ms':>8} "
        f"{'p99 ms':>8} {'delivered':>10} {'dropped':>8}"
    )
    for name in args.backends.split(","):
        row = run_backend(name, args.subscribers, args.burst, args.paced, args.interval)
        print(
            f"{name:<10} {row['messages_per_s']:>11,.0f} {row['deliveries_per_s']:>13,.0f} "
            f"{row['p50_ms']:>8.2f} {row['p99_ms']:>8.2f} {row['deliveries']:>10,} "
            f"{row['dropped']:>8}",
            flush=True,
        )


if __name__ == "__main__":
    main()
