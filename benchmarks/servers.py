"""The HTTP servers `benchmarks/http.py` measures: how each is built, started and stopped.

The Python apps of `benchmarks/apps/` run on granian (ASGI, ``--workers N``); three more
rows are served over HTTP only: jero and a raw app on granian's native RSGI interface
(`jero-rsgi`, `raw-rsgi`), and the published jero 0.1.9 in a venv of its own
(`benchmarks/published.py`; skipped with the reason if it cannot be installed). Two servers
outside Python answer the same API with the same bytes, for scale: Go's net/http
(`native/server.go`, built with the local ``go`` toolchain into the run's scratch
directory; N workers is ``GOMAXPROCS=N``) and Bun's ``Bun.serve`` (`native/server.js`;
N workers is N processes sharing the port with ``reusePort``). A tool that is missing or
does not work is a skip reason, never a failure. Only 127.0.0.1 is ever listened on.
"""

import http.client
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from benchmarks.apps import APP_MODULES
from benchmarks.published import NAME as PUBLISHED
from benchmarks.published import published_python
from benchmarks.scenarios import Scenario, ping

HOST = "127.0.0.1"
REPO_ROOT = Path(__file__).resolve().parent.parent
NATIVE = Path(__file__).resolve().parent / "native"
NATIVE_APPS = ("go", "bun")
# Served over HTTP only: name -> (module with `build`, granian interface).
HTTP_APPS: dict[str, tuple[str, str]] = {
    **{name: (module, "asgi") for name, module in APP_MODULES.items()},
    "raw-rsgi": ("benchmarks.apps.raw_rsgi", "rsgi"),
    "jero-rsgi": ("benchmarks.apps.jero_app", "rsgi"),
    PUBLISHED: ("benchmarks.apps.published_jero_app", "asgi"),
}
ALL_APPS = (
    "raw", "raw-rsgi", "jero", "jero-rsgi", PUBLISHED,
    *(name for name in APP_MODULES if name not in ("raw", "jero")), *NATIVE_APPS,
)  # fmt: skip


class ServerError(Exception):
    """A server could not be built or started, or answered wrongly."""


# (port, workers) -> the commands to run, one process each, and their extra environment.
type Launch = Callable[[int, int], tuple[list[list[str]], dict[str, str]]]


@dataclass
class Server:
    name: str
    workers: int
    port: int
    processes: list[subprocess.Popen[bytes]]
    log_path: Path
    label: str = field(init=False)

    def __post_init__(self) -> None:
        self.label = f"{self.name} ({self.workers}w)"

    def log_tail(self, lines: int = 20) -> str:
        text = self.log_path.read_text(errors="replace")
        return "\n".join(text.splitlines()[-lines:])


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


def fetch(port: int, scenario: Scenario, timeout: float = 5.0) -> tuple[int, bytes]:
    """One request over loopback with the standard library (no proxy settings apply)."""
    connection = http.client.HTTPConnection(HOST, port, timeout=timeout)
    try:
        return exchange(connection, scenario)
    finally:
        connection.close()


def exchange(connection: http.client.HTTPConnection, scenario: Scenario) -> tuple[int, bytes]:
    """The scenario's request on `connection` (kept open), and the status and body."""
    headers = {"Content-Type": "application/json"} if scenario.body else {}
    headers.update(scenario.headers)
    body = scenario.body or None
    connection.request(scenario.method, scenario.target, body=body, headers=headers)
    response = connection.getresponse()
    return response.status, response.read()


def granian_command() -> list[str]:
    beside_python = Path(sys.executable).parent / "granian"
    if beside_python.exists():
        return [str(beside_python)]
    found = shutil.which("granian")
    if found is None:
        raise ServerError("granian is not installed (it is a jero dependency: uv sync)")
    return [found]


def granian_launch(name: str, python: Path | None = None) -> Launch:
    """granian serving `name`'s module (with `python`'s granian: the published jero's venv)."""
    module, interface = HTTP_APPS[name]

    def launch(port: int, workers: int) -> tuple[list[list[str]], dict[str, str]]:
        server = granian_command() if python is None else [str(python), "-m", "granian"]
        command = [
            *server,
            *("--interface", interface, "--workers", str(workers), "--host", HOST),
            *("--port", str(port), "--log-level", "warning", "--factory"),
            *("--working-dir", str(REPO_ROOT), f"{module}:build"),
        ]
        pythonpath = [str(REPO_ROOT), *filter(None, [os.environ.get("PYTHONPATH")])]
        return [command], {"PYTHONPATH": os.pathsep.join(pythonpath)}

    return launch


def _tool_works(command: list[str]) -> str | None:
    """None if ``command`` (a version query) runs, else why not."""
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=30, check=False)
    except (OSError, subprocess.TimeoutExpired) as exc:
        return f"{command[0]} does not run ({exc})"
    if done.returncode != 0:
        return f"{command[0]} does not run: {(done.stderr or done.stdout).strip()[:200]}"
    return None


def go_launch(scratch: Path) -> Launch | str:
    """Build `native/server.go` with the local toolchain, offline; a str says why not."""
    go = shutil.which("go")
    if go is None:
        return "go is not installed (Debian: apt-get install golang)"
    binary = scratch / "go-server"
    # Offline and with the installed toolchain only: the server uses the standard library.
    env = {**os.environ, "GOPROXY": "off", "GOTOOLCHAIN": "local", "GOFLAGS": "-mod=mod"}
    if "GOCACHE" not in env and not os.environ.get("HOME"):
        env["GOCACHE"] = str(scratch / "go-cache")
    try:
        done = subprocess.run(
            [go, "build", "-o", str(binary), str(NATIVE / "server.go")],
            cwd=scratch, env=env, capture_output=True, text=True, timeout=600, check=False,
        )  # fmt: skip
    except subprocess.TimeoutExpired:
        return "go build did not finish within 600 s"
    if done.returncode != 0:
        return f"go build failed: {done.stderr.strip()[:300]}"

    def launch(port: int, workers: int) -> tuple[list[list[str]], dict[str, str]]:
        return [[str(binary), "-port", str(port)]], {"GOMAXPROCS": str(workers)}

    return launch


def bun_launch() -> Launch | str:
    bun = shutil.which("bun")
    if bun is None:
        return "bun is not installed (npm install --global bun)"
    broken = _tool_works([bun, "--version"])
    if broken:
        return broken
    script = str(NATIVE / "server.js")

    def launch(port: int, workers: int) -> tuple[list[list[str]], dict[str, str]]:
        reuse = "1" if workers > 1 else "0"
        return [[bun, script, str(port), reuse] for _ in range(workers)], {}

    return launch


def launchers(names: list[str], scratch: Path) -> tuple[dict[str, Launch], dict[str, str]]:
    """(name -> launch) for the servers that can run here, (name -> skip reason) for the rest."""
    found: dict[str, Launch] = {}
    skipped: dict[str, str] = {}
    for name in names:
        if name == PUBLISHED:
            python = published_python()
            if isinstance(python, str):
                skipped[name] = python
            else:
                found[name] = granian_launch(name, python)
            continue
        if name in HTTP_APPS:
            found[name] = granian_launch(name)
            continue
        launch = go_launch(scratch) if name == "go" else bun_launch()
        if isinstance(launch, str):
            skipped[name] = launch
        else:
            found[name] = launch
    return found, skipped


def start_server(
    name: str, launch: Launch, workers: int, log_dir: Path, startup_timeout: float
) -> Server:
    port = free_port()
    log_path = log_dir / f"{name}-{workers}w.log"
    commands, extra_env = launch(port, workers)
    env = {**os.environ, **extra_env}
    processes: list[subprocess.Popen[bytes]] = []
    with log_path.open("wb") as log:
        for command in commands:
            processes.append(
                subprocess.Popen(
                    command,
                    cwd=REPO_ROOT,
                    env=env,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    start_new_session=True,
                )
            )
    server = Server(name, workers, port, processes, log_path)
    deadline = time.monotonic() + startup_timeout
    while time.monotonic() < deadline:
        if any(process.poll() is not None for process in processes):
            stop_server(server)
            raise ServerError(f"{server.label}: exited early:\n{server.log_tail()}")
        try:
            fetch(port, ping(), timeout=1.0)
        except OSError:
            time.sleep(0.1)
            continue
        if _all_listening(server, deadline):
            return server
        break
    stop_server(server)
    raise ServerError(
        f"{server.label}: no answer within {startup_timeout:g}s:\n{server.log_tail()}"
    )


def _all_listening(server: Server, deadline: float) -> bool:
    """One process answered; processes sharing a port each log a line once they listen."""
    if len(server.processes) == 1:
        return True
    while time.monotonic() < deadline:
        if server.log_path.read_bytes().count(b"listening on") >= len(server.processes):
            return True
        time.sleep(0.1)
    return False


_TICK = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def cpu_seconds(server: Server) -> float | None:
    """CPU time (user + system) used so far by every process of the server's sessions
    (each launched process leads its own, workers included); None off Linux. Unlike
    requests/s, it hardly depends on what else the machine's cores are running."""
    sessions = {process.pid for process in server.processes}
    total = 0
    try:
        entries = [entry for entry in os.listdir("/proc") if entry.isdigit()]
    except OSError:
        return None
    for entry in entries:
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
        except OSError:
            continue  # it ended meanwhile
        fields = stat[stat.rindex(")") + 2 :].split()
        if int(fields[3]) in sessions:  # field 6: the session id
            total += int(fields[11]) + int(fields[12])  # fields 14, 15: utime, stime
    return total / _TICK


def stop_server(server: Server) -> None:
    """SIGTERM each process we started; SIGKILL its own session if it lingers."""
    for process in server.processes:
        if process.poll() is None:
            process.terminate()
    for process in server.processes:
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=10)


def check(server: Server, scenario: Scenario) -> None:
    """The status and the exact body bytes every app must answer."""
    status, body = fetch(server.port, scenario, timeout=30.0)
    if status != scenario.status or body != scenario.expected_body:
        text = body[:300].decode("utf-8", "replace")
        print(f"!! {server.label} / {scenario.name}: status {status}, body: {text}")
        raise ServerError(f"{server.label} / {scenario.name}: wrong answer")
