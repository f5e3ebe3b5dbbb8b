"""prometheus_client's multiprocess mode, in a process of its own (the mode is chosen when
prometheus_client is imported): the endpoint sums the files, and a worker that shuts
down takes its live gauge (active requests) with it."""

from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path

from tests.processes import spawn, stop

ROOT = Path(__file__).resolve().parents[2]

SCRIPT = """
import os, sys
from jero import BaseApp, Endpoint, Metrics
from jero.testing import TestClient


class PingEndpoint(Endpoint, path="/ping"):
    async def get(self) -> str:
        return "pong"


class App(BaseApp):
    async def _wire(self) -> None:
        self._include_middleware(Metrics(opentelemetry=False, prometheus=True))
        self._include_endpoint(PingEndpoint())
        self._include_prometheus("/metrics")


with TestClient(App()) as client:
    for _ in range(3):
        client.get("/ping")
    print("SCRAPE", client.get("/metrics").text.replace("\\n", "|"))
    print("LIVE", sorted(os.listdir(os.environ["PROMETHEUS_MULTIPROC_DIR"])))
print("AFTER", sorted(os.listdir(os.environ["PROMETHEUS_MULTIPROC_DIR"])))
"""


def test_multiprocess_files_are_summed_and_the_live_gauge_leaves_with_the_worker() -> None:
    with tempfile.TemporaryDirectory() as folder:
        env = {"PROMETHEUS_MULTIPROC_DIR": folder}
        process = spawn([sys.executable, "-c", SCRIPT], cwd=ROOT, env=env, stdout=subprocess.PIPE)
        try:
            output, _ = process.communicate(timeout=60)
        finally:
            stop(process)
    assert process.returncode == 0, output.decode()
    lines = dict(line.split(" ", 1) for line in output.decode().splitlines() if " " in line)
    scrape = lines["SCRAPE"].split("|")
    count = [row for row in scrape if row.startswith("http_server_request_duration_seconds_count")]
    assert any('http_route="/ping"' in row and row.endswith(" 3.0") for row in count), scrape
    assert "gauge_livesum" in lines["LIVE"]
    assert "gauge_livesum" not in lines["AFTER"]
    assert "histogram" in lines["AFTER"]  # the counts stay for the other workers' scrapes
