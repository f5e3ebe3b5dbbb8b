"""Instructions per request in a real granian worker, counted by valgrind's callgrind.

Requests per second over loopback follow whatever else the machine's cores run; the
number of instructions a server's worker executes per request does not. Each app is
served by granian (one worker, one runtime thread) under ``valgrind --tool=callgrind``,
sent a warm-up request, then ``--few`` and, in a second run, ``--many`` requests on one
keep-alive connection; the difference of the worker's totals divided by the difference
of the counts is its instructions per request: granian's Rust side and the app's Python
side, without the start-up and without the kernel. Every answer is checked for its
status. Both runs are bounded in time, and every server is stopped with its process
group.

The Python apps are the ones ``benchmarks/http.py`` serves (``raw``, ``raw-rsgi``,
``jero``, ``jero-rsgi``, ``jero-0.1.9`` and the peers); ``jero-0.1.9`` runs with the
interpreter of its own venv (``benchmarks/published.py``).

Run from the repository root: ``uv run --group bench python -m benchmarks.instructions``.
"""

import argparse
import http.client
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benchmarks.published import NAME as PUBLISHED
from benchmarks.published import published_python
from benchmarks.scenarios import Scenario, info, path_query, ping, post_json
from benchmarks.servers import HOST, REPO_ROOT, exchange, free_port, granian_launch

SCENARIOS = {"ping": ping, "items": path_query, "post": post_json, "info": info}
DEFAULT_APPS = ("raw", "raw-rsgi", "jero", "jero-rsgi", PUBLISHED)
_TOTAL = re.compile(rb"^(?:summary|totals): (\d+)", re.MULTILINE)


class CountError(Exception):
    """A server under valgrind did not start or answered wrongly."""


def worker_instructions(
    python: Path, app: str, scenario: Scenario, requests: int, timeout: float
) -> int:
    """The worker's instruction total after a warm-up request and `requests` more."""
    port = free_port()
    with tempfile.TemporaryDirectory() as scratch:
        (granian, *_), env = granian_launch(app, python)(port, 1)
        *options, target = granian
        command = [
            "valgrind", "--tool=callgrind", "--trace-children=yes",
            f"--callgrind-out-file={scratch}/callgrind.%p",
            *options, "--runtime-threads", "1", target,
        ]  # fmt: skip
        env = {**os.environ, **env, "PYTHONHASHSEED": "0"}
        server = subprocess.Popen(
            command,
            cwd=REPO_ROOT,
            env=env,
            start_new_session=True,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            connection = _connect(port, scenario, time.monotonic() + timeout)
            deadline = time.monotonic() + timeout
            for _ in range(requests):
                _request(connection, scenario)
                if time.monotonic() > deadline:
                    raise CountError(f"{app}: {requests} requests took over {timeout:g} s")
            connection.close()
        finally:
            _stop(server)
        totals = [_total(path) for path in Path(scratch).glob("callgrind.*")]
    if not totals:
        raise CountError(f"{app}: callgrind wrote no totals")
    return max(totals)  # the worker: it ran every request


def _connect(port: int, scenario: Scenario, deadline: float) -> http.client.HTTPConnection:
    while True:
        connection = http.client.HTTPConnection(HOST, port, timeout=30)
        try:
            _request(connection, scenario)
            return connection
        except OSError:
            connection.close()
            if time.monotonic() > deadline:
                raise CountError("the server did not start under valgrind in time") from None
            time.sleep(0.5)


def _request(connection: http.client.HTTPConnection, scenario: Scenario) -> None:
    status, _ = exchange(connection, scenario)
    if status != scenario.status:
        raise CountError(f"{scenario.name}: status {status}, not {scenario.status}")


def _stop(server: subprocess.Popen[bytes]) -> None:
    try:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=60)
    except subprocess.TimeoutExpired:
        os.killpg(server.pid, signal.SIGKILL)
        server.wait()
    except ProcessLookupError:
        pass


def _total(path: Path) -> int:
    found = _TOTAL.search(path.read_bytes())
    return int(found.group(1)) if found else 0


def per_request(python: Path, app: str, scenario: Scenario, args: argparse.Namespace) -> float:
    few = worker_instructions(python, app, scenario, args.few, args.timeout)
    many = worker_instructions(python, app, scenario, args.many, args.timeout)
    return (many - few) / (args.many - args.few)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--apps", default=",".join(DEFAULT_APPS), help="comma-separated apps")
    parser.add_argument("--scenarios", default="ping,items,post,info", help="comma-separated")
    parser.add_argument("--few", type=int, default=200, help="requests of the first run")
    parser.add_argument("--many", type=int, default=1200, help="requests of the second run")
    parser.add_argument("--timeout", type=float, default=300.0, help="max s per run")
    args = parser.parse_args()
    if shutil.which("valgrind") is None:
        print("valgrind is not installed: nothing to count")
        return 0
    apps = [a for a in args.apps.split(",") if a]
    scenarios = [SCENARIOS[name]() for name in args.scenarios.split(",") if name]
    pythons: dict[str, Path] = {}
    for app in apps:
        python = published_python() if app == PUBLISHED else Path(sys.executable)
        if isinstance(python, str):
            print(f"skipping {app}: {python}")
            continue
        pythons[app] = python
    print(
        f"instructions per request in the granian worker (callgrind; runs of {args.few} "
        f"and {args.many} requests on one keep-alive connection); (x) = ratio to raw"
    )
    print(f"{'scenario':12}" + "".join(f"{app:>20}" for app in pythons))
    for scenario in scenarios:
        row: dict[str, float] = {}
        for app, python in pythons.items():
            row[app] = per_request(python, app, scenario, args)
        raw = row.get("raw")
        cells = [
            f"{value:,.0f}" + (f" ({value / raw:.2f}x)" if raw and app != "raw" else "")
            for app, value in row.items()
        ]
        print(f"{scenario.name:12}" + "".join(f"{cell:>20}" for cell in cells), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
