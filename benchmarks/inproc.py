"""In-process benchmark: microseconds per request, no socket.

Each app (raw ASGI ceiling, jero, BlackSheep, Litestar, FastAPI) is built, started
through its lifespan, checked to answer every scenario correctly, then called as an
ASGI callable with identical prebuilt scopes. Rounds alternate between apps and the
best round counts. The table gives us/request and the ratio to raw per scenario;
then jero against its targets: ratio to raw, 1,000-route rows against its own 0-route
run, and its speedup over BlackSheep and FastAPI.

Modes: the default table; ``--middleware`` (ping and path+query on jero without
middleware, with 3 app-wide middlewares, with jero's RequestId + CORS + Compression, and
with 3 middlewares on another mount only, each against raw); ``--wiring`` (time to
build + start an app with 1,000 and 10,000 routes, and its first request); ``--memory``
(RSS after 10,000 vs after 1,000,000 requests). Every loop is bounded by a request
count and a time budget.

The published jero 0.1.9 (`jero-0.1.9`) shares the package name, so its column is
measured by this same script run with its venv's interpreter (`benchmarks/published.py`),
after the other apps, and printed in the same table.

Run from the repository root: ``uv run python -m benchmarks.inproc --help``.
"""

import argparse
import asyncio
import gc
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import msgspec

from benchmarks._asgi import (
    ASGIApp,
    BenchmarkError,
    Lifespan,
    TimeLimitExceeded,
    call,
    fail,
    http_scope,
    time_limit,
)
from benchmarks.apps import APP_MODULES, load_builders
from benchmarks.published import NAME as PUBLISHED
from benchmarks.published import published_python
from benchmarks.report import print_jero_summary, print_table
from benchmarks.scenarios import Scenario, default_scenarios, path_query, ping, post_json

type Cell = float | str  # us/request, or why there is no number


class Target:
    """An app started through its lifespan, with one prebuilt scope per scenario."""

    def __init__(self, name: str, app: ASGIApp, lifespan: Lifespan) -> None:
        self.name = name
        self.app = app
        self.lifespan = lifespan
        self.scopes: dict[str, dict[str, Any]] = {}

    async def request(self, scenario: Scenario) -> Any:
        scope = self.scopes.get(scenario.name)
        if scope is None:
            scope = self.scopes[scenario.name] = http_scope(scenario)
        return await call(self.app, scope, self.lifespan.state, scenario.body)

    async def check(self, scenario: Scenario) -> None:
        """The app must answer this scenario with the right status and JSON."""
        recorder = await self.request(scenario)
        if recorder.status != scenario.status:
            raise fail(self.name, scenario, recorder, f"expected status {scenario.status}")
        try:
            answer = msgspec.json.decode(recorder.body)
        except msgspec.DecodeError:
            raise fail(self.name, scenario, recorder, "body is not JSON") from None
        if answer != scenario.expected:
            raise fail(self.name, scenario, recorder, f"expected {scenario.expected}")

    async def measure(self, scenario: Scenario, requests: int, budget: float) -> float:
        """us/request over up to ``requests`` calls, stopping early after ``budget`` s."""
        app, body, state = self.app, scenario.body, self.lifespan.state
        scope = self.scopes.get(scenario.name) or http_scope(scenario)
        self.scopes[scenario.name] = scope
        done = 0
        start = time.perf_counter()
        deadline = start + budget
        while done < requests:
            for _ in range(min(100, requests - done)):
                recorder = await call(app, scope, state, body)
                if not 200 <= recorder.status < 300:
                    raise fail(self.name, scenario, recorder, "non-2xx answer")
                done += 1
            if time.perf_counter() > deadline:
                break
        return (time.perf_counter() - start) / done * 1e6


async def start(
    name: str, build: Any, n_routes: int, timeout: float
) -> tuple[Target, float, float]:
    """Build and start an app; returns it with the build and startup times in seconds."""
    lifespan: Lifespan | None = None
    try:
        with time_limit(timeout):
            t0 = time.perf_counter()
            app = build(n_routes)
            t1 = time.perf_counter()
            lifespan = Lifespan(app)
            await lifespan.startup()
            t2 = time.perf_counter()
    except BaseException:
        if lifespan is not None:
            await lifespan.shutdown()
        raise
    return Target(name, app, lifespan), t1 - t0, t2 - t1


async def null_app(scope: dict[str, Any], receive: Any, send: Any) -> None:
    """The cheapest possible ASGI app: measures the harness floor."""
    if scope["type"] == "lifespan":
        while (await receive())["type"] != "lifespan.shutdown":
            await send({"type": "lifespan.startup.complete"})
        await send({"type": "lifespan.shutdown.complete"})
        return
    await send({"type": "http.response.start", "status": 200, "headers": []})
    await send({"type": "http.response.body", "body": b'{"message":"pong"}'})


async def run_table(
    args: argparse.Namespace, builders: dict[str, Any]
) -> dict[str, dict[str, Cell]]:
    scenarios = default_scenarios(args.routes)
    results: dict[str, dict[str, Cell]] = {s.name: {} for s in scenarios}
    route_counts = sorted({s.n_routes for s in scenarios})
    for n_routes in route_counts:
        group = [s for s in scenarios if s.n_routes == n_routes]
        print(f"-- {n_routes} filler routes: {', '.join(s.name for s in group)}", flush=True)
        targets: list[Target] = []
        try:
            for name, build in builders.items():
                try:
                    target, built, started = await start(name, build, n_routes, args.build_timeout)
                except TimeLimitExceeded:
                    print(f"   {name}: build+startup over {args.build_timeout:g}s, skipped")
                    for s in group:
                        results[s.name][name] = f"build>{args.build_timeout:g}s"
                    continue
                targets.append(target)
                print(f"   {name}: built in {built:.2f}s, started in {started:.2f}s", flush=True)
                for s in group:
                    await target.check(s)
                    await target.measure(s, args.warmup, args.budget)
            await best_rounds(targets, group, results, args)
        finally:
            for target in targets:
                await target.lifespan.shutdown()
            targets.clear()
            gc.collect()
    return results


async def best_rounds(
    targets: list[Target],
    scenarios: list[Scenario],
    results: dict[str, dict[str, Cell]],
    args: argparse.Namespace,
) -> None:
    """Rounds that rotate the app order; each cell keeps its best round."""
    for round_no in range(args.rounds):
        shift = round_no % max(len(targets), 1)
        for target in targets[shift:] + targets[:shift]:
            for s in scenarios:
                us = await target.measure(s, args.requests, args.budget)
                best = results[s.name].get(target.name)
                if not isinstance(best, float) or us < best:
                    results[s.name][target.name] = us


async def harness_floor(args: argparse.Namespace) -> float:
    target, _, _ = await start("null", lambda _n: null_app, 0, args.build_timeout)
    try:
        return min([await target.measure(ping(), args.requests, args.budget) for _ in range(3)])
    finally:
        await target.lifespan.shutdown()


async def run_middleware(args: argparse.Namespace) -> None:
    """What middleware costs a route, and that a route without any pays nothing."""
    from benchmarks.apps import jero_app, jero_middleware, raw

    builders: dict[str, Any] = {
        "raw": raw.build,
        "jero": jero_app.build,
        "jero 3mw": jero_middleware.build_app_wide,
        "jero rid+cors+gz": jero_middleware.build_real,
        "jero 3mw elsewhere": jero_middleware.build_other_mount,
    }
    await run_builders(builders, [ping(), path_query()], args)
    print(
        "jero 3mw: three app-wide middlewares (each adds a header); jero rid+cors+gz: "
        "RequestId, CORS, Compression app-wide;\njero 3mw elsewhere: the three on "
        "another endpoint only, these routes have none"
    )


async def run_telemetry(args: argparse.Namespace) -> None:
    """What tracing and metrics cost a route, against the same app with them off."""
    from benchmarks.apps import jero_app, jero_telemetry, raw

    builders: dict[str, Any] = {
        "raw": raw.build,
        "jero off": jero_app.build,
        "trace api": jero_telemetry.build_tracing_api,
        "trace sdk": jero_telemetry.build_tracing_sdk,
        "metrics otel": jero_telemetry.build_metrics_otel,
        "metrics prom": jero_telemetry.build_metrics_prometheus,
        "all": jero_telemetry.build_all,
    }
    await run_builders(builders, [ping(), path_query()], args)
    print(
        "jero off: no telemetry; trace api: Tracing on the OpenTelemetry API alone (no-op "
        "tracer); trace sdk: an SDK TracerProvider without exporter;\nmetrics otel: Metrics "
        "into an SDK MeterProvider (in-memory reader); metrics prom: Metrics into "
        "prometheus_client;\nall: trace sdk + both metrics + AccessLog (logger off)"
    )


async def run_builders(
    builders: dict[str, Any], scenarios: list[Scenario], args: argparse.Namespace
) -> None:
    """Start each app, check it, warm it, then the best of the rotating rounds."""
    results: dict[str, dict[str, Cell]] = {s.name: {} for s in scenarios}
    targets: list[Target] = []
    try:
        for name, build in builders.items():
            target, _, _ = await start(name, build, 0, args.build_timeout)
            targets.append(target)
            for s in scenarios:
                await target.check(s)
                await target.measure(s, args.warmup, args.budget)
        await best_rounds(targets, scenarios, results, args)
    finally:
        for target in targets:
            await target.lifespan.shutdown()
    print(
        f"in-process, us/request, best of {args.rounds} round(s) of up to "
        f"{args.requests} requests; (x) = ratio to raw"
    )
    print_table(results, list(builders))


async def run_wiring(args: argparse.Namespace, builders: dict[str, Any]) -> None:
    print("wiring: build + lifespan startup, then the first request to the last route (ms)")
    print(f"{'app':<12}{'routes':>8}{'build':>11}{'startup':>11}{'total':>11}{'1st req':>11}")
    for name, build in builders.items():  # untimed: one-time import and cache costs
        target, _, _ = await start(name, build, 1, args.build_timeout)
        await target.lifespan.shutdown()
    jero_1000: float | None = None
    for n_routes in args.wiring_routes:
        scenario = path_query(n_routes)
        for name, build in builders.items():
            gc.collect()
            try:
                target, built, started = await start(name, build, n_routes, args.build_timeout)
            except TimeLimitExceeded:
                print(f"{name:<12}{n_routes:>8}   over the {args.build_timeout:g}s limit")
                continue
            try:
                t0 = time.perf_counter()
                await target.check(scenario)
                first = time.perf_counter() - t0
            finally:
                await target.lifespan.shutdown()
            total = built + started
            if name == "jero" and n_routes == 1000:
                jero_1000 = total
            cells = [f"{x * 1000:>11.1f}" for x in (built, started, total, first)]
            print(f"{name:<12}{n_routes:>8}{''.join(cells)}", flush=True)
            del target
    if jero_1000 is not None:
        verdict = "ok" if jero_1000 < 1.0 else "MISSED"
        print(f"jero wires 1,000 routes in {jero_1000:.3f}s (target < 1 s: {verdict})")
    elif "jero" not in builders:
        print("jero: not measured (skipped); target: wiring 1,000 routes under 1 s")


def rss_bytes() -> int:
    """Resident set size of this process now, from /proc/self/statm."""
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


async def run_memory(args: argparse.Namespace, builders: dict[str, Any]) -> None:
    mix = [ping(), path_query(), post_json()]
    for name, build in builders.items():
        target, _, _ = await start(name, build, 0, args.build_timeout)
        try:
            for s in mix:
                await target.check(s)
            counts = (args.memory_warmup, args.memory_requests)
            done, samples = 0, []
            deadline = time.perf_counter() + args.memory_budget
            for goal in counts:
                while done < goal and time.perf_counter() < deadline:
                    for s in mix:
                        recorder = await target.request(s)
                        if not 200 <= recorder.status < 300:
                            raise fail(name, s, recorder, "non-2xx answer")
                    done += len(mix)
                gc.collect()
                samples.append((done, rss_bytes(), sys.getallocatedblocks()))
        finally:
            await target.lifespan.shutdown()
        (n0, rss0, blocks0), (n1, rss1, blocks1) = samples
        growth = (rss1 - rss0) / 2**20
        print(
            f"{name}: RSS {rss0 / 2**20:.1f} MiB after {n0:,} requests, "
            f"{rss1 / 2**20:.1f} MiB after {n1:,} requests: growth {growth:+.2f} MiB, "
            f"allocated blocks {blocks1 - blocks0:+,}"
        )
        if n1 < args.memory_requests:
            wanted = args.memory_requests
            print(f"   (stopped by the {args.memory_budget:g}s budget before {wanted:,} requests)")


def int_list(text: str) -> list[int]:
    return [int(part) for part in text.split(",") if part.strip()]


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.inproc", description=__doc__)
    parser.add_argument(
        "--apps", help=f"comma-separated, from: {','.join([*APP_MODULES, PUBLISHED])}"
    )
    parser.add_argument("--published-child", help=argparse.SUPPRESS)
    parser.add_argument("--requests", type=int, help="requests per round (default 10000)")
    parser.add_argument("--rounds", type=int, help="timed rounds, best counts (default 5)")
    parser.add_argument("--warmup", type=int, help="untimed requests first (default 1000)")
    parser.add_argument("--budget", type=float, help="max seconds per timed loop (default 2)")
    parser.add_argument("--routes", type=int_list, help="filler route counts (10,100,1000,10000)")
    parser.add_argument("--build-timeout", type=float, default=60.0, help="max s to build+start")
    parser.add_argument("--quick", action="store_true", help="a handful of requests (smoke test)")
    parser.add_argument(
        "--middleware", action="store_true", help="jero with and without middleware"
    )
    parser.add_argument(
        "--telemetry", action="store_true", help="jero with tracing / metrics off and on"
    )
    parser.add_argument("--wiring", action="store_true", help="measure build + startup time")
    parser.add_argument("--wiring-routes", type=int_list, help="route counts (1000,10000)")
    parser.add_argument("--memory", action="store_true", help="RSS growth over many requests")
    parser.add_argument("--memory-warmup", type=int, help="requests before the first sample")
    parser.add_argument("--memory-requests", type=int, help="requests at the second sample")
    parser.add_argument("--memory-budget", type=float, default=300.0, help="max s of requests")
    args = parser.parse_args(argv)
    quick = args.quick
    defaults: dict[str, Any] = {
        "requests": 20 if quick else 10_000,
        "rounds": 1 if quick else 5,
        "warmup": 5 if quick else 1_000,
        "budget": 0.5 if quick else 2.0,
        "routes": [10, 1000] if quick else [10, 100, 1000, 10_000],
        "wiring_routes": [100, 1000] if quick else [1000, 10_000],
        "memory_warmup": 1_000 if quick else 10_000,
        "memory_requests": 10_000 if quick else 1_000_000,
    }
    for key, value in defaults.items():
        if getattr(args, key) is None:
            setattr(args, key, value)
    if args.apps is None:
        args.apps = "jero" if args.memory else ",".join(_with_published(list(APP_MODULES)))
    return args


def _with_published(names: list[str]) -> list[str]:
    """The published jero's column goes right after jero's."""
    at = names.index("jero") + 1 if "jero" in names else len(names)
    return [*names[:at], PUBLISHED, *names[at:]]


def _child_arguments(args: argparse.Namespace) -> list[str]:
    routes = ",".join(str(n) for n in args.routes)
    return [
        "--requests", str(args.requests), "--rounds", str(args.rounds),
        "--warmup", str(args.warmup), "--budget", str(args.budget), "--routes", routes,
        "--build-timeout", str(args.build_timeout),
    ]  # fmt: skip


def run_published(args: argparse.Namespace) -> dict[str, dict[str, Cell]] | str:
    """The published jero's cells, measured by this script in its venv; a str: why not."""
    python = published_python()
    if isinstance(python, str):
        return python
    root = Path(__file__).resolve().parent.parent
    env = {**os.environ, "PYTHONPATH": str(root)}
    with tempfile.TemporaryDirectory() as scratch:
        out = Path(scratch) / "published.json"
        command = [str(python), "-m", "benchmarks.inproc", *_child_arguments(args)]
        command += ["--published-child", str(out)]
        print(f"-- {PUBLISHED}: in its own venv ({python})", flush=True)
        done = subprocess.run(command, cwd=root, env=env, text=True, check=False, timeout=1800)
        if done.returncode != 0 or not out.exists():
            return f"its run failed (exit status {done.returncode})"
        return json.loads(out.read_text())


async def published_child(args: argparse.Namespace) -> int:
    """Inside the published jero's venv: measure it alone and write the cells."""
    from benchmarks.apps import published_jero_app

    results = await run_table(args, {PUBLISHED: published_jero_app.build})
    Path(args.published_child).write_text(json.dumps(results))
    return 0


async def amain(args: argparse.Namespace) -> int:
    if args.published_child:
        return await published_child(args)
    names = [a.strip() for a in args.apps.split(",") if a.strip()]
    published = PUBLISHED in names and not (args.middleware or args.wiring or args.memory)
    columns = [name for name in names if name != PUBLISHED or published]
    builders, skipped = load_builders([name for name in names if name != PUBLISHED])
    for name, reason in skipped.items():
        print(f"skipping {name}: its module does not import ({reason})")
    if not builders:
        print("no app to measure")
        return 0
    if args.middleware:
        await run_middleware(args)
        return 0
    if args.telemetry:
        await run_telemetry(args)
        return 0
    if args.wiring:
        await run_wiring(args, builders)
        return 0
    if args.memory:
        await run_memory(args, builders)
        return 0
    floor = await harness_floor(args)
    results = await run_table(args, builders)
    if published:
        cells = run_published(args)
        if isinstance(cells, str):
            print(f"skipping {PUBLISHED}: {cells}")
            columns.remove(PUBLISHED)
        else:
            for scenario, by_app in cells.items():
                results.setdefault(scenario, {}).update(by_app)
    print()
    print(
        f"in-process ASGI, us/request, best of {args.rounds} round(s) of up to "
        f"{args.requests} requests ({args.budget:g}s cap); (x) = ratio to raw"
    )
    if published and PUBLISHED in columns:
        print(
            f"{PUBLISHED}: PyPI's jero {PUBLISHED[5:]}, measured in its own venv after the others"
        )
    print_table(results, [name for name in columns if name in builders or name == PUBLISHED])
    print(f"harness floor (a do-nothing ASGI app): {floor:.2f} us/request, included above")
    print_jero_summary(results, default_scenarios(args.routes), skipped.get("jero"))
    if published and PUBLISHED in columns:
        print_published_summary(results, default_scenarios(args.routes))
    return 0


def print_published_summary(results: dict[str, dict[str, Cell]], scenarios: list[Scenario]) -> None:
    """jero against the published jero, scenario by scenario (target: <= 1.00x)."""
    for s in scenarios:
        mine, theirs = results[s.name].get("jero"), results[s.name].get(PUBLISHED)
        if isinstance(mine, float) and isinstance(theirs, float):
            ratio = mine / theirs
            verdict = "ok" if ratio <= 1.0 else "MISSED"
            print(f"jero {s.name}: {ratio:.2f}x the published jero's time (<= 1.00: {verdict})")


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        return asyncio.run(amain(args))
    except BenchmarkError as exc:
        print(f"benchmark failed: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
