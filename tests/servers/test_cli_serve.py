"""`jero run` and `jero dev`: real granian processes on loopback, spoken to with httpx."""

from __future__ import annotations

import importlib.util
import os
import re
import signal
import textwrap
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest

from tests.cli_support import COMMAND_SECONDS, answers, jero, serving, wait_for
from tests.granian_server import ROOT, free_port

APP = "tests.cli_apps:app"
HAS_UVLOOP = importlib.util.find_spec("uvloop") is not None


def base_url(port: int) -> str:
    return f"http://127.0.0.1:{port}"


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_run_serves_the_app_and_stops_on_a_signal_with_status_0(signum: int) -> None:
    port = free_port()
    url = base_url(port)
    with serving(["run", APP, "--port", str(port)], answers(url)) as server:
        response = httpx.get(f"{url}/widgets/abc")
        assert response.status_code == 200
        assert response.content == b'{"id":"abc","name":"widget-name"}'
        # `--loop auto`: uvloop when it is installed (the dev group installs it)
        loop = "uvloop " if HAS_UVLOOP else "asyncio."
        assert httpx.get(f"{url}/loop").text.startswith(loop)
        assert server.stop(signum) == 0
        assert "Granian shutdown completed" in server.output()
    with pytest.raises(httpx.ConnectError):
        httpx.get(f"{url}/widgets/abc")


def test_run_on_the_asyncio_loop_when_asked() -> None:
    port = free_port()
    with serving(["run", APP, "--port", str(port), "--loop", "asyncio"], answers(base_url(port))):
        assert httpx.get(f"{base_url(port)}/loop").text.startswith("asyncio.")


def test_run_auto_workers_spawns_one_per_core_and_calls_the_factory() -> None:
    cores = os.process_cpu_count() or 1
    if cores > 16:
        pytest.skip(f"{cores} workers are too many processes for a unit test")
    port = free_port()
    args = ["run", "tests.cli_apps:create_app()", "--port", str(port), "--workers", "auto"]
    with serving(args, answers(base_url(port))) as server:
        # (not "Started worker-1 runtime-1": granian logs each runtime thread too on RSGI)
        started = re.compile(r"Started worker-\d+$", re.MULTILINE)
        wait_for(lambda: len(started.findall(server.output())) == cores, server)
        assert httpx.get(f"{base_url(port)}/widgets/abc").status_code == 200
        assert server.stop() == 0
        assert server.output().count("Spawning worker-") == cores


def test_run_on_a_unix_domain_socket(tmp_path: Path) -> None:
    socket_path = tmp_path / "jero.sock"
    transport = httpx.HTTPTransport(uds=str(socket_path))
    probe = answers("http://jero/widgets/abc", transport)
    with serving(["run", APP, "--uds", str(socket_path)], probe) as server:
        with httpx.Client(transport=transport, base_url="http://jero") as client:
            assert client.get("/widgets/abc").json() == {"id": "abc", "name": "widget-name"}
        assert server.stop() == 0
    assert not socket_path.exists()


@pytest.mark.parametrize("interface", ["asgi", "rsgi"])
def test_run_refuses_an_app_whose_startup_fails_with_status_1(interface: str) -> None:
    port = str(free_port())
    result = jero("run", "tests.cli_apps:crashing_app", "--port", port, "--interface", interface)
    assert result.returncode == 1
    assert "RuntimeError: the database is not there" in result.stdout + result.stderr
    assert f"{interface.upper()} lifespan startup failed" in result.stdout


@pytest.mark.parametrize(
    ("target", "arguments", "line"),
    [
        (APP, [], "on ASGI: the default; --interface rsgi serves"),
        ("tests.cli_apps:create_app()", ["--interface", "rsgi"], "on RSGI (granian's native"),
        (APP, ["--interface", "asgi"], "on ASGI: asked for with --interface asgi"),
        ("tests.cli_apps:wrapped_app", [], "on ASGI: not a jero app itself"),
        ("tests.cli_apps:create_unannotated()", [], "on ASGI: the default"),
        ("tests.cli_apps:create_unannotated()", ["--interface", "rsgi"], "on RSGI"),
    ],
    ids=["app", "factory-rsgi", "forced-asgi", "wrapped", "unannotated", "forced-rsgi"],
)
def test_run_serves_asgi_unless_asked_for_rsgi_and_says_which(
    target: str, arguments: list[str], line: str
) -> None:
    port = free_port()
    url = base_url(port)
    with serving(["run", target, "--port", str(port), *arguments], answers(url)) as server:
        assert httpx.get(f"{url}/widgets/abc").json() == {"id": "abc", "name": "widget-name"}
        first = server.output().splitlines()[0]
        assert first.startswith(f"[INFO] Serving {target} {line}"), first
        assert server.stop() == 0


def test_a_worker_serving_websockets_on_rsgi_warns_about_close_codes() -> None:
    port = free_port()
    url = base_url(port)
    target = "tests.cli_apps:socket_app"
    command = ["run", target, "--port", str(port), "--interface", "rsgi"]
    with serving(command, answers(url)) as server:
        assert httpx.get(f"{url}/widgets/abc").status_code == 200
        output = server.output()
        assert server.stop() == 0
    assert f"Serving {target} on RSGI" in output.splitlines()[0]
    assert "SocketApp serves WebSockets on RSGI, where granian carries no close codes" in output


def test_run_forcing_rsgi_on_a_plain_asgi_app_is_a_usage_error() -> None:
    result = jero("run", "tests.cli_apps:wrapped_app", "--interface", "rsgi")
    assert result.returncode == 2
    assert result.stderr == (
        "jero run: error: tests.cli_apps:wrapped_app is not a jero app, so it has no RSGI "
        "interface; serve it with --interface asgi\n"
    )


def test_run_with_a_bad_target_is_one_line_and_status_2() -> None:
    result = jero("run", "tests.cli_apps:no_such_app", "--port", str(free_port()))
    assert (result.returncode, result.stdout) == (2, "")
    assert result.stderr == (
        "jero run: error: module 'tests.cli_apps' has no attribute 'no_such_app'\n"
    )


def test_run_on_a_loop_that_is_not_installed_is_a_usage_error() -> None:
    if importlib.util.find_spec("rloop") is not None:
        pytest.skip("rloop is installed")
    result = jero("run", APP, "--loop", "rloop", "--port", str(free_port()))
    assert (result.returncode, result.stdout) == (2, "")
    assert result.stderr == ("jero run: error: --loop rloop needs the rloop package; install it\n")


def test_run_with_a_negative_worker_count_is_a_usage_error() -> None:
    result = jero("run", APP, "--workers", "-1")
    assert result.returncode == 2
    assert result.stderr.splitlines()[-1] == (
        "jero run: error: argument --workers: must be 0 (one per core), auto, or more"
    )


def test_the_readme_serve_command_serves_the_quickstart() -> None:
    readme = (ROOT / "README.md").read_text()
    commands = re.findall(r"^```console\n(.*?)\n```", readme, re.MULTILINE | re.DOTALL)
    assert commands == ["uv run jero run examples.quickstart:app", "uv run pytest"]
    # the same command, on a free port instead of 8000
    port = free_port()
    with serving(["run", "examples.quickstart:app", "--port", str(port)], answers(base_url(port))):
        response = httpx.get(f"{base_url(port)}/widgets/abc")
        assert response.json() == {"id": "abc", "name": "widget-name"}


DEV_APP = """
from jero import BaseApp, Endpoint


class HelloEndpoint(Endpoint, path="/hello"):
    async def get(self) -> str:
        return {greeting!r}


class App(BaseApp):
    async def _wire(self) -> None:
        self._include_endpoint(HelloEndpoint())
        self._include_openapi(title="Dev", version="1")


app = App()
"""


def test_dev_reloads_on_an_edit_and_prints_the_docs_url(tmp_path: Path) -> None:
    source = tmp_path / "devapp.py"
    source.write_text(textwrap.dedent(DEV_APP.format(greeting="one")))
    port = free_port()
    url = base_url(port)
    args = ["dev", "devapp:app", "--port", str(port)]
    with serving(args, answers(url), cwd=tmp_path) as server:
        assert httpx.get(f"{url}/hello").text == "one"
        wait_for(lambda: f"Docs page: {url}/docs" in server.output(), server)
        # dev logs every request
        wait_for(lambda: '"GET /hello HTTP/1.1" 200' in server.output(), server)
        assert f"OpenAPI document: {url}/openapi.json" in server.output()

        source.write_text(textwrap.dedent(DEV_APP.format(greeting="two")))
        wait_for(says(f"{url}/hello", "two"), server, seconds=COMMAND_SECONDS)
        assert "Changes detected, reloading workers" in server.output()

        # A broken edit stops the worker but not the server; the next edit revives it.
        source.write_text("def broken(:\n")
        wait_for(lambda: "Unexpected exit from worker-1" in server.output(), server)
        source.write_text(textwrap.dedent(DEV_APP.format(greeting="three")))
        wait_for(says(f"{url}/hello", "three"), server, seconds=COMMAND_SECONDS)
        assert server.stop() == 0


def says(url: str, text: str) -> Callable[[], bool]:
    def probe() -> bool:
        try:
            return httpx.get(url, timeout=1.0).text == text
        except httpx.TransportError:
            return False

    return probe
