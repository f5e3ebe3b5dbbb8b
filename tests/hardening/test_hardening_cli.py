"""`jero run` as an operator meets it: a busy port is one line and status 2, and the
protective server settings reach granian with their safe defaults."""

from __future__ import annotations

import os
import re
import signal
import socket
import time
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest

from tests.cli_support import answers, jero, serving
from tests.granian_server import WAIT_SECONDS, free_port

pytestmark = pytest.mark.server

APP = "tests.cli_apps:app"


def test_run_on_a_busy_port_is_one_line_and_status_2() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = jero("run", APP, "--port", str(port), env={"RUST_BACKTRACE": "1"})
    assert result.returncode == 2
    assert result.stderr.splitlines() == [
        f"jero run: error: cannot listen on 127.0.0.1:{port}: Address already in use"
    ]
    assert "backtrace" not in result.stdout + result.stderr


# --- workers: replaced when they die, gone when the main process is -----------------


def children(pid: int) -> set[int]:
    found: set[int] = set()
    for task in Path(f"/proc/{pid}/task").iterdir():
        text = (task / "children").read_text().split()
        found.update(int(child) for child in text)
    return found


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except FileNotFoundError:
        return False
    return state != "Z"


def started(output: str) -> int:
    """Workers started so far (on RSGI granian also logs each worker's runtime)."""
    return len(re.findall(r"Started worker-\d+$", output, re.MULTILINE))


def wait_until(condition: Callable[[], bool], what: str, seconds: float = WAIT_SECONDS) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.05)
    pytest.fail(f"not within {seconds} s: {what}")


def test_a_worker_killed_under_two_workers_is_respawned_and_the_server_keeps_answering() -> None:
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    with serving(["run", APP, "--port", str(port), "--workers", "2"], answers(url)) as server:
        main = server.process.pid
        wait_until(lambda: started(server.output()) == 2, "two workers")
        first = children(main)
        assert len(first) == 2
        victim = min(first)
        os.kill(victim, signal.SIGKILL)
        wait_until(lambda: len(children(main) - first) == 1, "a new worker")
        assert server.process.poll() is None
        assert victim not in children(main)
        wait_until(lambda: started(server.output()) == 3, "the new one serving")
        answered = [httpx.get(f"{url}/widgets/a").status_code for _ in range(20)]
        assert answered == [200] * 20
        assert "Respawning worker-" in server.output()
        assert server.stop() == 0


def test_workers_die_with_a_main_process_that_was_sigkilled() -> None:
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    with serving(["run", APP, "--port", str(port), "--workers", "2"], answers(url)) as server:
        wait_until(lambda: started(server.output()) == 2, "two workers")
        workers = children(server.process.pid)
        assert len(workers) == 2
        server.process.send_signal(signal.SIGKILL)
        server.process.wait(timeout=WAIT_SECONDS)
        wait_until(lambda: not any(alive(pid) for pid in workers), "the workers gone")
    with pytest.raises(httpx.ConnectError):
        httpx.get(f"{url}/widgets/a")


# --- the protective options reach granian --------------------------------------------


def test_an_idle_connection_is_closed_after_the_header_timeout() -> None:
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    args = ["run", APP, "--port", str(port), "--header-timeout", "0.5"]
    with serving(args, answers(url)) as server:
        with socket.create_connection(("127.0.0.1", port), timeout=WAIT_SECONDS) as idle:
            started = time.monotonic()
            assert idle.recv(64) == b""  # closed by the server, having sent nothing
            waited = time.monotonic() - started
        with socket.create_connection(("127.0.0.1", port), timeout=WAIT_SECONDS) as kept:
            kept.sendall(b"GET /widgets/a HTTP/1.1\r\nhost: 127.0.0.1\r\n\r\n")
            assert kept.recv(12) == b"HTTP/1.1 200"
            while kept.recv(4096):  # the rest of the answer, then the idle close
                pass
        assert server.stop() == 0
    print(f"idle connection closed after {waited:.2f} s (--header-timeout 0.5)")


@pytest.mark.parametrize(
    ("option", "value"),
    [("--max-connections", "0"), ("--backlog", "-1"), ("--header-timeout", "soon")],
)
def test_a_bad_protective_option_is_a_usage_error(option: str, value: str) -> None:
    result = jero("run", APP, option, value)
    assert result.returncode == 2
    assert result.stderr.splitlines()[-1].startswith(f"jero run: error: argument {option}: ")
