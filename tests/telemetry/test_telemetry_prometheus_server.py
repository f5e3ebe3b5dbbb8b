"""The real thing: Prometheus scrapes a two-worker granian app, and the request count it
stores (summed over both workers' multiprocess files) equals what was sent."""

from __future__ import annotations

import tempfile
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

from tests.conftest import unavailable
from tests.granian_server import granian
from tests.telemetry.telemetry_prometheus import PrometheusUnavailable, prometheus_server

pytestmark = pytest.mark.server

SENT = 240  # bounded load: 4 threads x 60 requests, each on a fresh connection
THREADS = 4
WAIT_SECONDS = 30.0
COUNT = 'sum(http_server_request_duration_seconds_count{http_route="/ping"})'


def ping_many(url: str, count: int) -> list[str]:
    """`count` GETs, each on a new connection, so both workers get some."""
    pids: list[str] = []
    for _ in range(count):
        with httpx.Client(base_url=url, timeout=10) as client:
            response = client.get("/ping")
            assert response.status_code == 200
            pids.append(response.text)
    return pids


def scraped_count(text: str) -> float:
    total = 0.0
    for line in text.splitlines():
        if line.startswith("http_server_request_duration_seconds_count{") and (
            'http_route="/ping"' in line
        ):
            total += float(line.rsplit(" ", 1)[1])
    return total


def test_prometheus_counts_every_request_across_two_workers() -> None:
    with tempfile.TemporaryDirectory() as multiprocess_dir:
        env = {"PROMETHEUS_MULTIPROC_DIR": multiprocess_dir}
        with granian("tests.telemetry.telemetry_granian_app:app", env, workers=2) as app:
            target = app.url.removeprefix("http://")
            try:
                server_context = prometheus_server(target)
                prometheus = server_context.__enter__()
            except PrometheusUnavailable as error:
                unavailable("Prometheus", error)
                raise
            try:
                with ThreadPoolExecutor(THREADS) as pool:
                    batches = list(
                        pool.map(ping_many, [app.url] * THREADS, [SENT // THREADS] * THREADS)
                    )
                served_by = Counter(pid for batch in batches for pid in batch)
                assert sum(served_by.values()) == SENT
                assert len(served_by) == 2, f"one worker served everything: {served_by}"

                # Any worker answers the totals of both (fresh connection each time).
                for _ in range(4):
                    assert scraped_count(httpx.get(f"{app.url}/metrics").text) == SENT

                deadline = time.monotonic() + WAIT_SECONDS
                stored: float | None = None
                while time.monotonic() < deadline:
                    result = prometheus.query(COUNT)
                    stored = float(result[0]["value"][1]) if result else None
                    if stored == SENT:
                        break
                    time.sleep(0.5)
                assert stored == SENT, f"Prometheus stored {stored}, sent {SENT}"
                (up,) = prometheus.query('up{job="jero"}')
                assert up["value"][1] == "1"
                # Every /ping ended; what a scrape sees in flight is the scrape itself.
                (active,) = prometheus.query("sum(http_server_active_requests)")
                assert active["value"][1] == "1"
                inf = (
                    'sum(http_server_request_duration_seconds_bucket{http_route="/ping",le="+Inf"})'
                )
                (bucket,) = prometheus.query(inf)
                assert float(bucket["value"][1]) == SENT
                assert httpx.get(f"{app.url}/readyz").json() == {"status": "ready"}
            finally:
                server_context.__exit__(None, None, None)
