"""HTTP benchmark: requests/s, p50 and p99 over loopback.

Every server answers the same API (`benchmarks/servers.py` builds and starts them): the
Python apps on granian (ASGI, 127.0.0.1, a free port, their module's ``build`` factory),
Go's net/http and Bun's ``Bun.serve`` if those tools work here (else they are skipped with
the reason). Each runs with 1 and with 2 workers, and is loaded by
``wrk -t1 -c32 --latency`` for a few seconds per scenario. Every answer is checked first
(status and exact body bytes), runs alternate between servers across rounds, the best
round counts, and non-2xx answers fail the run. The tables give requests/s, p50 and p99
latency, and the ratio to raw's requests/s at the same worker count. Servers are always
terminated. Only loopback is ever a target.

Run from the repository root: ``uv run --group bench python -m benchmarks.http --help``
(as a module: running the file directly would shadow the standard ``http`` package).
"""

import argparse
import asyncio
import os
import re
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from benchmarks.apps import APP_MODULES, load_builders
from benchmarks.published import NAME as PUBLISHED
from benchmarks.report import print_grid
from benchmarks.scenarios import (
    Scenario,
    bulk_post,
    info,
    item_list,
    jwt_db,
    jwt_post,
    path_query,
    ping,
    post_json,
)
from benchmarks.servers import (
    ALL_APPS,
    HOST,
    NATIVE_APPS,
    Launch,
    Server,
    ServerError,
    check,
    cpu_seconds,
    launchers,
    start_server,
    stop_server,
)

SCENARIOS = {
    "ping": ping,
    "items": path_query,
    "post": post_json,
    "list": item_list,
    "bulk": bulk_post,
    "info": info,
    "jwt": jwt_post,
    "db": jwt_db,
}
MIN_RATIO_TO_RAW = 0.95  # target: jero's requests/s over HTTP on ASGI vs the raw ASGI app
# Target: jero on RSGI vs the raw ASGI app's requests/s, on these scenarios.
MIN_RSGI_RATIO_TO_RAW = 1.10
RSGI_TARGET_SCENARIOS = ("ping", "path+query")
PYTHON_PEERS = ("jero", PUBLISHED, "blacksheep", "litestar", "fastapi")
# Bodies this big are sent on fewer connections: 32 concurrent 1 MB requests would
# measure queueing (and wrk's timeout) more than decoding.
BIG_BODY = 64 * 1024
BIG_BODY_CONNECTIONS = 8


# The scenarios modelled on the published jero's suite are written for the Python apps
# only; the Go and Bun servers answer "-" there.
SUITE_SCENARIOS = ("info", "jwt post", "jwt+db")


def serves(name: str, scenario: Scenario) -> bool:
    return not (name in NATIVE_APPS and scenario.name in SUITE_SCENARIOS)


def connections(args: argparse.Namespace, scenario: Scenario) -> int:
    if len(scenario.body) >= BIG_BODY:
        return min(args.connections, BIG_BODY_CONNECTIONS)
    return args.connections


class HTTPBenchmarkError(Exception):
    """A server did not start, answered wrongly, or wrk reported errors."""


@dataclass
class WrkResult:
    requests_per_s: float
    p50_ms: float
    p99_ms: float
    requests: int = 0
    cpu_us: float | None = None
    """The server's CPU time per request (all its processes), in microseconds."""


def wrk_script(scenario: Scenario, directory: Path) -> list[str]:
    """wrk sends GET without a script; other methods and bodies need a small Lua file,
    which reads the body from a file (a 1 MB body does not belong in Lua source)."""
    if scenario.method == "GET" and not scenario.body and not scenario.headers:
        return []
    stem = re.sub(r"\W+", "-", scenario.name)
    body_path = directory / f"{stem}.body"
    body_path.write_bytes(scenario.body)
    path = directory / f"{stem}.lua"
    path.write_text(
        f'wrk.method = "{scenario.method}"\n'
        f'local file = assert(io.open("{body_path}", "rb"))\n'
        'wrk.body = file:read("*a")\n'
        "file:close()\n"
        'wrk.headers["Content-Type"] = "application/json"\n'
        + "".join(f'wrk.headers["{name}"] = "{value}"\n' for name, value in scenario.headers)
    )
    return ["-s", str(path)]


_UNIT_MS = {"us": 0.001, "ms": 1.0, "s": 1000.0}


def _percentile_ms(output: str, percent: int) -> float | None:
    found = re.search(rf"^\s+{percent}(?:\.0+)?%\s+([\d.]+)(us|ms|s)\s*$", output, re.MULTILINE)
    return None if found is None else float(found.group(1)) * _UNIT_MS[found.group(2)]


def parse_wrk(output: str) -> WrkResult:
    rps = re.search(r"^Requests/sec:\s+([\d.]+)", output, re.MULTILINE)
    total = re.search(r"^\s*(\d+) requests in ", output, re.MULTILINE)
    p50, p99 = _percentile_ms(output, 50), _percentile_ms(output, 99)
    if rps is None or p50 is None or p99 is None:
        raise HTTPBenchmarkError(f"cannot parse wrk output:\n{output}")
    errors = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", output)
    if errors:
        raise HTTPBenchmarkError(f"wrk saw {errors.group(1)} non-2xx answers:\n{output}")
    sockets = re.search(r"Socket errors:.*", output)
    if sockets:
        print(f"   note: {sockets.group(0)}")
    return WrkResult(float(rps.group(1)), p50, p99, int(total.group(1)) if total else 0)


def run_wrk(
    args: argparse.Namespace, server: Server, scenario: Scenario, script: list[str], secs: int
) -> WrkResult:
    url = f"http://{HOST}:{server.port}{scenario.target}"
    command = [
        "wrk", f"-t{args.threads}", f"-c{connections(args, scenario)}", f"-d{secs}s",
        "--timeout", "5s", "--latency", *script, url,
    ]  # fmt: skip
    cpu_before = cpu_seconds(server)
    done = subprocess.run(command, capture_output=True, text=True, timeout=secs + 30, check=False)
    cpu_after = cpu_seconds(server)
    if done.returncode != 0:
        raise HTTPBenchmarkError(f"wrk failed ({done.returncode}): {done.stderr or done.stdout}")
    result = parse_wrk(done.stdout)
    if cpu_before is not None and cpu_after is not None and result.requests:
        result.cpu_us = (cpu_after - cpu_before) * 1e6 / result.requests
    return result


type Best = dict[str, dict[tuple[str, int], WrkResult]]  # scenario -> (app, workers) -> best


def start_all(
    args: argparse.Namespace,
    launches: dict[str, Launch],
    *,
    scenarios: list[Scenario],
    scripts: dict[str, list[str]],
    scratch: Path,
    servers: list[Server],
) -> None:
    """Start every (app, workers) server into ``servers`` (the caller stops them), check
    its answers and warm it up."""
    for workers in args.workers:
        for name, launch in launches.items():
            server = start_server(name, launch, workers, scratch, args.startup_timeout)
            servers.append(server)
            print(f"-- {server.label}: on {HOST}:{server.port}", flush=True)
            for s in (s for s in scenarios if serves(name, s)):
                check(server, s)
                if args.warmup > 0:
                    run_wrk(args, server, s, scripts[s.name], args.warmup)


def run(args: argparse.Namespace, launches: dict[str, Launch], scratch: Path) -> Best:
    scenarios = [SCENARIOS[key]() for key in args.scenarios]
    scripts = {s.name: wrk_script(s, scratch) for s in scenarios}
    best: Best = {s.name: {} for s in scenarios}
    servers: list[Server] = []
    try:
        start_all(
            args, launches, scenarios=scenarios, scripts=scripts, scratch=scratch, servers=servers
        )
        for round_no in range(args.rounds):
            shift = round_no % len(servers)
            for server in servers[shift:] + servers[:shift]:
                for s in (s for s in scenarios if serves(server.name, s)):
                    result = run_wrk(args, server, s, scripts[s.name], args.duration)
                    print(
                        f"   round {round_no + 1} {server.label} / {s.name}: "
                        f"{result.requests_per_s:,.0f} req/s, p50 {result.p50_ms:.2f} ms, "
                        f"p99 {result.p99_ms:.2f} ms, {_cpu(result.cpu_us)} us CPU/request",
                        flush=True,
                    )
                    key = (server.name, server.workers)
                    previous = best[s.name].get(key)
                    if previous is None or result.requests_per_s > previous.requests_per_s:
                        if previous is not None and _leaner(previous, result):
                            result.cpu_us = previous.cpu_us
                        best[s.name][key] = result
                    elif _leaner(result, previous):
                        previous.cpu_us = result.cpu_us
    finally:
        for server in servers:
            stop_server(server)
    return best


def _cpu(value: float | None) -> str:
    return "-" if value is None else f"{value:.1f}"


def _leaner(one: WrkResult, other: WrkResult) -> bool:
    """Whether `one` used less CPU per request (the best CPU figure is kept apart from
    the best req/s: both are a best of the rounds)."""
    return one.cpu_us is not None and (other.cpu_us is None or one.cpu_us < other.cpu_us)


def machine() -> str:
    """CPUs and the 1-minute load average: loopback numbers mean little on a busy machine."""
    model = ""
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        found = re.search(r"^model name\s*:\s*(.+)$", cpuinfo.read_text(), re.MULTILINE)
        model = f" ({found.group(1).strip()})" if found else ""
    load = f", load average {os.getloadavg()[0]:.2f}" if hasattr(os, "getloadavg") else ""
    return f"{os.cpu_count()} CPUs{model}{load}"


def report(args: argparse.Namespace, best: Best, names: list[str]) -> None:
    """One table per scenario: a row per app, req/s | p50 | p99 | ratio per worker count."""
    print()
    print(f"machine: {args.machine_before} at the start; {machine()} at the end")
    print(
        f"HTTP over loopback (wrk -t{args.threads} -d{args.duration}s --latency, "
        f"best of {args.rounds}, servers interleaved); ms latencies; x raw = req/s ratio "
        "to raw at the same worker count; cpu us = the server's CPU time per request (all "
        "its processes; least of the rounds), which depends little on the machine's load"
    )
    header = ["app"]
    for workers in args.workers:
        header += [f"req/s {workers}w", "p50", "p99", "x raw", "cpu us"]
    by_name = {s().name: s() for s in SCENARIOS.values()}
    for scenario, by_app in best.items():
        shape = by_name[scenario]
        print()
        print(f"scenario: {scenario} ({shape.method} {shape.target}, -c{connections(args, shape)})")
        rows: list[list[str]] = []
        for name in names:
            row = [name]
            for workers in args.workers:
                result, raw = by_app.get((name, workers)), by_app.get(("raw", workers))
                if result is None:
                    row += ["-", "-", "-", "-", "-"]
                    continue
                ratio = f"{result.requests_per_s / raw.requests_per_s:.2f}" if raw else "-"
                row += [f"{result.requests_per_s:,.0f}", f"{result.p50_ms:.2f}"]
                row += [f"{result.p99_ms:.2f}", ratio, _cpu(result.cpu_us)]
            rows.append(row)
        print_grid(header, rows)
    print()
    for scenario, by_app in best.items():
        jero, raw = by_app.get(("jero", 1)), by_app.get(("raw", 1))
        if jero and raw:
            ratio = jero.requests_per_s / raw.requests_per_s
            verdict = "ok" if ratio >= MIN_RATIO_TO_RAW else "MISSED"
            print(
                f"jero {scenario}, 1 worker: {ratio:.2f}x raw req/s "
                f"(>= {MIN_RATIO_TO_RAW}: {verdict})"
            )
    for scenario, by_app in best.items():
        rsgi_summary(scenario, by_app)


def rsgi_summary(scenario: str, by_app: dict[tuple[str, int], WrkResult]) -> None:
    """jero on RSGI, 1 worker: against the raw ASGI app, and against every Python peer."""
    jero = by_app.get(("jero-rsgi", 1))
    if jero is None:
        return
    raw = by_app.get(("raw", 1))
    line = f"jero-rsgi {scenario}, 1 worker:"
    if raw is not None:
        ratio = jero.requests_per_s / raw.requests_per_s
        line += f" {ratio:.2f}x raw (ASGI) req/s"
        if scenario in RSGI_TARGET_SCENARIOS:
            verdict = "ok" if ratio >= MIN_RSGI_RATIO_TO_RAW else "MISSED"
            line += f" (>= {MIN_RSGI_RATIO_TO_RAW}: {verdict})"
        if raw.cpu_us and jero.cpu_us:
            line += f", {raw.cpu_us / jero.cpu_us:.2f}x by CPU per request"
    peers = {name: by_app[name, 1] for name in PYTHON_PEERS if (name, 1) in by_app}
    if peers:
        best_name, best_peer = max(peers.items(), key=lambda pair: pair[1].requests_per_s)
        ratio = jero.requests_per_s / best_peer.requests_per_s
        verdict = "ok" if ratio > 1.0 else "MISSED"
        line += f"; {ratio:.2f}x the fastest Python peer ({best_name}): {verdict}"
    print(line)


def _names(text: str) -> list[str]:
    return [item.strip() for item in text.split(",") if item.strip()]


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.http", description=__doc__)
    parser.add_argument("--apps", default=",".join(ALL_APPS), help="comma-separated apps")
    parser.add_argument("--scenarios", help=f"comma-separated, from: {','.join(SCENARIOS)}")
    parser.add_argument("--workers", help="comma-separated worker counts (default 1,2)")
    parser.add_argument("--duration", type=int, help="whole seconds per wrk run (default 3)")
    parser.add_argument("--rounds", type=int, help="rounds alternating apps (default 2)")
    parser.add_argument("--warmup", type=int, help="untimed wrk seconds first (default 1)")
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--startup-timeout", type=float, default=30.0)
    parser.add_argument(
        "--quick", action="store_true", help="one short run per app (ping, 1 worker)"
    )
    args = parser.parse_args(argv)
    if (args.duration is not None and args.duration < 1) or (args.warmup or 0) < 0:
        parser.error("--duration must be >= 1 and --warmup >= 0 (whole seconds, as wrk takes)")
    args.apps = _names(args.apps)
    unknown = [name for name in args.apps if name not in ALL_APPS]
    if unknown:
        parser.error(f"unknown app(s) {unknown}; choose from {list(ALL_APPS)}")
    default = [name for name in SCENARIOS if name != "db"]  # db needs PostgreSQL: asked for
    args.scenarios = _names(args.scenarios or ("ping" if args.quick else ",".join(default)))
    unknown = [key for key in args.scenarios if key not in SCENARIOS]
    if unknown:
        parser.error(f"unknown scenario(s) {unknown}; choose from {list(SCENARIOS)}")
    try:
        args.workers = [int(n) for n in _names(args.workers or ("1" if args.quick else "1,2"))]
    except ValueError:
        parser.error("--workers takes comma-separated whole numbers")
    if not args.workers or min(args.workers) < 1:
        parser.error("--workers must list counts >= 1")
    if args.duration is None:
        args.duration = 1 if args.quick else 3
    if args.rounds is None:
        args.rounds = 1 if args.quick else 2
    if args.warmup is None:
        args.warmup = 0 if args.quick else 1
    return args


@contextmanager
def database(needed: bool) -> Iterator[None]:
    """For the `db` scenario: a throwaway PostgreSQL server (tests/postgres_server.py)
    with the one-table schema, its URL in `JERO_BENCH_DSN` for every server started."""
    if not needed:
        yield
        return
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
    from postgres_server import postgres_server  # tests/ is not a package

    with postgres_server() as server:
        url = server.create_database("bench")
        asyncio.run(_seed(url))
        os.environ["JERO_BENCH_DSN"] = url
        try:
            yield
        finally:
            del os.environ["JERO_BENCH_DSN"]


async def _seed(url: str) -> None:
    import asyncpg

    connection = await asyncpg.connect(url)
    try:
        await connection.execute(
            "CREATE TABLE movies (id integer PRIMARY KEY, title text NOT NULL, year integer)"
        )
        await connection.executemany(
            "INSERT INTO movies VALUES ($1, $2, $3)",
            [(1, "Heat", 1995), *((i, f"movie-{i}", 1900 + i % 120) for i in range(2, 1001))],
        )
    finally:
        await connection.close()


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    args.machine_before = machine()
    if shutil.which("wrk") is None:
        print("wrk is not installed; on Debian/Ubuntu: sudo apt-get install -y wrk")
        print("skipping the HTTP benchmark")
        return 0 if args.quick else 2
    python_apps = [name for name in args.apps if name in APP_MODULES]
    _, skipped = load_builders(python_apps)
    for name, reason in skipped.items():
        print(f"skipping {name}: its module does not import ({reason})")
    try:
        with tempfile.TemporaryDirectory(prefix="jero-bench-") as scratch:
            wanted = [name for name in args.apps if name not in skipped]
            launches, unavailable = launchers(wanted, Path(scratch))
            for name, reason in unavailable.items():
                print(f"skipping {name}: {reason}")
            if not launches:
                print("no app to measure")
                return 0
            with database("db" in args.scenarios):
                best = run(args, launches, Path(scratch))
    except (HTTPBenchmarkError, ServerError) as exc:
        print(f"benchmark failed: {exc}", file=sys.stderr)
        return 1
    report(args, best, list(launches))
    if "jero" in skipped:
        print("jero: not measured (skipped); target: >= 0.90x raw req/s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
