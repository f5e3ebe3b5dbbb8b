"""The real thing: jero apps served by a granian process, spoken to over loopback HTTP."""

import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO

import httpx
import pytest

ROOT = Path(__file__).resolve().parent.parent
STARTUP_SECONDS = 15.0


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextmanager
def granian(target: str) -> Iterator[str]:
    """Serve `target` (module:attr) with granian on a free loopback port; yield its URL."""
    port = free_port()
    command = [sys.executable, "-m", "granian", "--interface", "asgi"]
    command += ["--host", "127.0.0.1", "--port", str(port), "--workers", "1", target]
    with tempfile.TemporaryFile() as log:
        process = subprocess.Popen(command, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT)
        try:
            url = f"http://127.0.0.1:{port}"
            wait_until_serving(process, url, log)
            yield url
        finally:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def wait_until_serving(process: subprocess.Popen[bytes], url: str, log: IO[bytes]) -> None:
    deadline = time.monotonic() + STARTUP_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"granian exited with {process.returncode}: {read_log(log)}")
        try:
            httpx.get(f"{url}/", timeout=1.0)
        except httpx.TransportError:
            time.sleep(0.05)
            continue
        return
    pytest.fail(f"granian did not answer within {STARTUP_SECONDS} s: {read_log(log)}")


def read_log(log: IO[bytes]) -> str:
    log.seek(0)
    return log.read().decode(errors="replace")


@pytest.fixture(scope="module")
def quickstart() -> Iterator[httpx.Client]:
    with granian("examples.quickstart:app") as url, httpx.Client(base_url=url) as client:
        yield client


@pytest.fixture(scope="module")
def widgets() -> Iterator[httpx.Client]:
    with granian("tests.granian_app:app") as url, httpx.Client(base_url=url) as client:
        yield client


def test_get_answers_exact_body(quickstart: httpx.Client) -> None:
    response = quickstart.get("/widgets/abc")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    assert response.content == b'{"id":"abc","name":"widget-name"}'
    assert response.headers["content-length"] == str(len(response.content))


def test_unknown_path_is_404_problem(quickstart: httpx.Client) -> None:
    response = quickstart.get("/gadgets/abc")
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"
    assert response.content == b'{"type":"not-found","title":"Not found","status":404}'


def test_wrong_method_is_405_with_allow(quickstart: httpx.Client) -> None:
    response = quickstart.delete("/widgets/abc")
    assert response.status_code == 405
    assert response.headers["allow"] == "GET, HEAD, OPTIONS"
    assert response.json()["type"] == "method-not-allowed"


def test_head_has_headers_but_no_body(quickstart: httpx.Client) -> None:
    get = quickstart.get("/widgets/abc")
    head = quickstart.head("/widgets/abc")
    assert head.status_code == 200
    assert head.content == b""
    assert head.headers["content-type"] == "application/json"
    assert head.headers["content-length"] == get.headers["content-length"]


def test_options_is_204_with_allow(quickstart: httpx.Client) -> None:
    response = quickstart.options("/widgets/abc")
    assert response.status_code == 204
    assert response.headers["allow"] == "GET, HEAD, OPTIONS"


def test_post_json_is_201(widgets: httpx.Client) -> None:
    response = widgets.post("/widgets", json={"widgetName": "bolt", "unitPrice": 3})
    assert response.status_code == 201
    assert response.content == b'{"widgetName":"bolt","unitPrice":3}'


def test_post_bad_json_is_problem(widgets: httpx.Client) -> None:
    response = widgets.post(
        "/widgets", content=b"{oops", headers={"content-type": "application/json"}
    )
    assert response.status_code == 400
    assert response.json()["type"] == "malformed-request"


def test_post_chunked_body_is_read(widgets: httpx.Client) -> None:
    def body() -> Iterator[bytes]:
        yield b'{"widgetName":'
        yield b'"nut"}'

    response = widgets.post(
        "/widgets", content=body(), headers={"content-type": "application/json"}
    )
    assert response.status_code == 201
    assert response.json() == {"widgetName": "nut", "unitPrice": 0}


def test_path_int_slot_converts(widgets: httpx.Client) -> None:
    assert widgets.get("/widgets/7").json() == {"widgetName": "widget-7", "unitPrice": 0}
    assert widgets.get("/widgets/seven").status_code == 404
