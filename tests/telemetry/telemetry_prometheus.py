"""A throwaway Prometheus server (Debian's `prometheus`) scraping one target, with its
configuration and data in a temporary directory, listening on a free loopback port."""

from __future__ import annotations

import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

import httpx

from tests.processes import spawn, stop

START_SECONDS = 30.0


class PrometheusUnavailable(Exception):
    """No Prometheus server can be started here; the message says why."""


@dataclass
class PrometheusServer:
    url: str
    process: subprocess.Popen[bytes]
    log: IO[bytes]

    def query(self, expression: str) -> list[dict[str, Any]]:
        """The instant vector of `expression`, through the HTTP query API."""
        answer = httpx.get(f"{self.url}/api/v1/query", params={"query": expression}, timeout=5)
        answer.raise_for_status()
        body = answer.json()
        assert body["status"] == "success", body
        return body["data"]["result"]

    def output(self) -> str:
        self.log.seek(0)
        return self.log.read().decode(errors="replace")


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextmanager
def prometheus_server(target: str, metrics_path: str = "/metrics") -> Iterator[PrometheusServer]:
    """Scrape `target` (host:port) every second; stopped (its whole group) on the way out."""
    binary = shutil.which("prometheus")
    if binary is None:
        raise PrometheusUnavailable("prometheus is not on PATH (apt-get install prometheus)")
    with tempfile.TemporaryDirectory() as folder, tempfile.TemporaryFile() as log:
        config = Path(folder) / "prometheus.yml"
        config.write_text(
            "global:\n"
            "  scrape_interval: 1s\n"
            "  scrape_timeout: 1s\n"
            "scrape_configs:\n"
            "  - job_name: jero\n"
            f"    metrics_path: {metrics_path}\n"
            "    static_configs:\n"
            f"      - targets: ['{target}']\n"
        )
        port = free_port()
        command = [
            binary,
            f"--config.file={config}",
            f"--storage.tsdb.path={Path(folder) / 'data'}",
            f"--web.listen-address=127.0.0.1:{port}",
        ]
        process = spawn(command, cwd=folder, stdout=log)
        try:
            url = f"http://127.0.0.1:{port}"
            server = PrometheusServer(url, process, log)
            _wait_ready(server)
            yield server
        finally:
            stop(process)


def _wait_ready(server: PrometheusServer) -> None:
    deadline = time.monotonic() + START_SECONDS
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise PrometheusUnavailable(
                f"prometheus exited with {server.process.returncode}: {server.output()}"
            )
        try:
            if httpx.get(f"{server.url}/-/ready", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    raise PrometheusUnavailable(f"prometheus not ready in {START_SECONDS} s: {server.output()}")
