"""HTTP benchmark (SPEC section 9): requests/s and p99 latency over loopback.

Each app is served by granian (ASGI interface, one worker, 127.0.0.1 on a free port,
built by its module's ``build`` factory) and loaded by ``wrk -t1 -c32 --latency`` for a
few seconds per scenario. Answers are checked before the load, runs alternate between
apps across rounds, the best round counts, and non-2xx answers or socket errors fail
the run. The table gives requests/s, p99 latency and the ratio to raw's requests/s.
Servers are always terminated. Only loopback is ever a target.

Run from the repository root: ``uv run python -m benchmarks.http --help``
(as a module: running the file directly would shadow the standard ``http`` package).
"""

import argparse
import http.client
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from benchmarks.apps import APP_MODULES, load_builders
from benchmarks.report import print_grid
from benchmarks.scenarios import Scenario, path_query, ping, post_json

HOST = "127.0.0.1"
REPO_ROOT = Path(__file__).resolve().parent.parent
SCENARIOS = {"ping": ping, "items": path_query, "post": post_json}
MIN_RATIO_TO_RAW = 0.90  # SPEC section 9: jero's requests/s over HTTP vs the raw app


class HTTPBenchmarkError(Exception):
    """A server did not start, answered wrongly, or wrk reported errors."""


@dataclass
class Server:
    name: str
    port: int
    process: subprocess.Popen[bytes]
    log_path: Path

    def log_tail(self, lines: int = 20) -> str:
        text = self.log_path.read_text(errors="replace")
        return "\n".join(text.splitlines()[-lines:])


@dataclass
class WrkResult:
    requests_per_s: float
    p99_ms: float


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


def granian_command() -> list[str]:
    beside_python = Path(sys.executable).parent / "granian"
    if beside_python.exists():
        return [str(beside_python)]
    found = shutil.which("granian")
    if found is None:
        raise HTTPBenchmarkError("granian is not installed (it is a jero dependency: uv sync)")
    return [found]


def fetch(port: int, scenario: Scenario, timeout: float = 5.0) -> tuple[int, bytes]:
    """One request over loopback with the standard library (no proxy settings apply)."""
    connection = http.client.HTTPConnection(HOST, port, timeout=timeout)
    try:
        headers = {"Content-Type": "application/json"} if scenario.body else {}
        body = scenario.body or None
        connection.request(scenario.method, scenario.target, body=body, headers=headers)
        response = connection.getresponse()
        return response.status, response.read()
    finally:
        connection.close()


def start_server(name: str, log_dir: Path, startup_timeout: float) -> Server:
    port = free_port()
    log_path = log_dir / f"{name}.log"
    command = [
        *granian_command(),
        *("--interface", "asgi", "--workers", "1", "--host", HOST, "--port", str(port)),
        *("--log-level", "warning", "--factory", "--working-dir", str(REPO_ROOT)),
        f"{APP_MODULES[name]}:build",
    ]
    pythonpath = [str(REPO_ROOT), *filter(None, [os.environ.get("PYTHONPATH")])]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(pythonpath)}
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            command, cwd=REPO_ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
            start_new_session=True,
        )  # fmt: skip
    server = Server(name, port, process, log_path)
    deadline = time.monotonic() + startup_timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise HTTPBenchmarkError(f"{name}: granian exited early:\n{server.log_tail()}")
        try:
            fetch(port, ping(), timeout=1.0)
            return server
        except OSError:
            time.sleep(0.1)
    stop_server(server)
    raise HTTPBenchmarkError(f"{name}: no answer within {startup_timeout:g}s:\n{server.log_tail()}")


def stop_server(server: Server) -> None:
    """SIGTERM the granian process we started; SIGKILL its own session if it lingers."""
    if server.process.poll() is None:
        server.process.terminate()
        try:
            server.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(server.process.pid, signal.SIGKILL)
            server.process.wait(timeout=10)


def check(server: Server, scenario: Scenario) -> None:
    status, body = fetch(server.port, scenario)
    if status != scenario.status or json.loads(body) != scenario.expected:
        text = body.decode("utf-8", "replace")
        print(f"!! {server.name} / {scenario.name}: status {status}, body: {text}")
        raise HTTPBenchmarkError(f"{server.name} / {scenario.name}: wrong answer")


def wrk_script(scenario: Scenario, directory: Path) -> list[str]:
    """wrk sends GET without a script; other methods and bodies need a small Lua file."""
    if scenario.method == "GET" and not scenario.body:
        return []
    path = directory / f"{scenario.method.lower()}.lua"
    body = scenario.body.decode().replace("\\", "\\\\").replace("'", "\\'")
    path.write_text(
        f'wrk.method = "{scenario.method}"\n'
        f"wrk.body = '{body}'\n"
        'wrk.headers["Content-Type"] = "application/json"\n'
    )
    return ["-s", str(path)]


_UNIT_MS = {"us": 0.001, "ms": 1.0, "s": 1000.0}


def parse_wrk(output: str) -> WrkResult:
    rps = re.search(r"^Requests/sec:\s+([\d.]+)", output, re.MULTILINE)
    p99 = re.search(r"^\s+99(?:\.0+)?%\s+([\d.]+)(us|ms|s)\s*$", output, re.MULTILINE)
    if rps is None or p99 is None:
        raise HTTPBenchmarkError(f"cannot parse wrk output:\n{output}")
    errors = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", output)
    if errors:
        raise HTTPBenchmarkError(f"wrk saw {errors.group(1)} non-2xx answers:\n{output}")
    sockets = re.search(r"Socket errors:.*", output)
    if sockets:
        print(f"   note: {sockets.group(0)}")
    return WrkResult(float(rps.group(1)), float(p99.group(1)) * _UNIT_MS[p99.group(2)])


def run_wrk(
    args: argparse.Namespace, port: int, scenario: Scenario, script: list[str], secs: int
) -> WrkResult:
    url = f"http://{HOST}:{port}{scenario.target}"
    command = [
        "wrk", f"-t{args.threads}", f"-c{args.connections}", f"-d{secs}s",
        "--timeout", "5s", "--latency", *script, url,
    ]  # fmt: skip
    done = subprocess.run(command, capture_output=True, text=True, timeout=secs + 30, check=False)
    if done.returncode != 0:
        raise HTTPBenchmarkError(f"wrk failed ({done.returncode}): {done.stderr or done.stdout}")
    return parse_wrk(done.stdout)


def run(
    args: argparse.Namespace, names: list[str], scratch: Path
) -> dict[str, dict[str, WrkResult]]:
    scenarios = [SCENARIOS[key]() for key in args.scenarios]
    scripts = {s.name: wrk_script(s, scratch) for s in scenarios}
    best: dict[str, dict[str, WrkResult]] = {s.name: {} for s in scenarios}
    servers: list[Server] = []
    try:
        for name in names:
            server = start_server(name, scratch, args.startup_timeout)
            servers.append(server)
            print(f"-- {name}: granian on {HOST}:{server.port}", flush=True)
            for s in scenarios:
                check(server, s)
                if args.warmup > 0:
                    run_wrk(args, server.port, s, scripts[s.name], args.warmup)
        for round_no in range(args.rounds):
            shift = round_no % len(servers)
            for server in servers[shift:] + servers[:shift]:
                for s in scenarios:
                    result = run_wrk(args, server.port, s, scripts[s.name], args.duration)
                    print(
                        f"   round {round_no + 1} {server.name} / {s.name}: "
                        f"{result.requests_per_s:,.0f} req/s, p99 {result.p99_ms:.2f} ms",
                        flush=True,
                    )
                    previous = best[s.name].get(server.name)
                    if previous is None or result.requests_per_s > previous.requests_per_s:
                        best[s.name][server.name] = result
    finally:
        for server in servers:
            stop_server(server)
    return best


def report(
    args: argparse.Namespace, best: dict[str, dict[str, WrkResult]], names: list[str]
) -> None:
    print()
    print(
        f"HTTP (granian, 1 worker, loopback; wrk -t{args.threads} -c{args.connections} "
        f"-d{args.duration}s, best of {args.rounds}): req/s | p99 ms | (x) = req/s ratio to raw"
    )
    rows: list[list[str]] = []
    for scenario, by_app in best.items():
        raw = by_app.get("raw")
        row = [scenario]
        for name in names:
            result = by_app.get(name)
            if result is None:
                row.append("-")
                continue
            ratio = f" ({result.requests_per_s / raw.requests_per_s:.2f}x)" if raw else ""
            row.append(f"{result.requests_per_s:,.0f} | {result.p99_ms:.2f}{ratio}")
        rows.append(row)
    print_grid(["scenario", *names], rows)
    for scenario, by_app in best.items():
        jero, raw = by_app.get("jero"), by_app.get("raw")
        if jero and raw:
            ratio = jero.requests_per_s / raw.requests_per_s
            verdict = "ok" if ratio >= MIN_RATIO_TO_RAW else "MISSED"
            print(f"jero {scenario}: {ratio:.2f}x raw req/s (>= {MIN_RATIO_TO_RAW}: {verdict})")


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.http", description=__doc__)
    parser.add_argument("--apps", default=",".join(APP_MODULES), help="comma-separated apps")
    parser.add_argument("--scenarios", help=f"comma-separated, from: {','.join(SCENARIOS)}")
    parser.add_argument("--duration", type=int, help="whole seconds per wrk run (default 3)")
    parser.add_argument("--rounds", type=int, help="rounds alternating apps (default 2)")
    parser.add_argument("--warmup", type=int, help="untimed wrk seconds first (default 1)")
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--startup-timeout", type=float, default=30.0)
    parser.add_argument("--quick", action="store_true", help="one short run of ping per app")
    args = parser.parse_args(argv)
    if (args.duration is not None and args.duration < 1) or (args.warmup or 0) < 0:
        parser.error("--duration must be >= 1 and --warmup >= 0 (whole seconds, as wrk takes)")
    if args.scenarios is None:
        args.scenarios = "ping" if args.quick else ",".join(SCENARIOS)
    args.scenarios = [key.strip() for key in args.scenarios.split(",") if key.strip()]
    unknown = [key for key in args.scenarios if key not in SCENARIOS]
    if unknown:
        parser.error(f"unknown scenario(s) {unknown}; choose from {list(SCENARIOS)}")
    if args.duration is None:
        args.duration = 1 if args.quick else 3
    if args.rounds is None:
        args.rounds = 1 if args.quick else 2
    if args.warmup is None:
        args.warmup = 0 if args.quick else 1
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if shutil.which("wrk") is None:
        print("wrk is not installed; on Debian/Ubuntu: sudo apt-get install -y wrk")
        print("skipping the HTTP benchmark")
        return 0 if args.quick else 2
    builders, skipped = load_builders([a.strip() for a in args.apps.split(",") if a.strip()])
    for name, reason in skipped.items():
        print(f"skipping {name}: its module does not import ({reason})")
    names = list(builders)
    if not names:
        print("no app to measure")
        return 0
    try:
        with tempfile.TemporaryDirectory(prefix="jero-bench-") as scratch:
            best = run(args, names, Path(scratch))
    except HTTPBenchmarkError as exc:
        print(f"benchmark failed: {exc}", file=sys.stderr)
        return 1
    report(args, best, names)
    if "jero" in skipped:
        print("jero: not measured (skipped); target: >= 0.90x raw req/s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
