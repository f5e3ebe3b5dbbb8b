"""Under granian, once it handled SIGTERM, readiness never answers 200 again (not on a
new connection, not on a kept-alive one) while the request in flight still completes."""

from __future__ import annotations

import os
import signal
import threading
import time

import httpx
import pytest

from tests.granian_server import granian

pytestmark = pytest.mark.server


def test_readiness_is_gone_while_granian_drains() -> None:
    with granian("tests.telemetry.telemetry_drain_app:app") as server:
        finished: list[str] = []

        def slow() -> None:
            finished.append(httpx.get(f"{server.url}/slow", timeout=10).text)

        in_flight = threading.Thread(target=slow)
        in_flight.start()
        with httpx.Client(base_url=server.url, timeout=1) as kept:
            assert kept.get("/readyz").status_code == 200
            time.sleep(0.3)  # the slow request is inside the handler now
            os.killpg(server.process.pid, signal.SIGTERM)
            answers: list[int | str] = []
            while in_flight.is_alive():
                for client in (kept, None):
                    try:
                        if client is None:
                            answers.append(httpx.get(f"{server.url}/readyz", timeout=1).status_code)
                        else:
                            answers.append(client.get("/readyz").status_code)
                    except httpx.TransportError as error:
                        answers.append(type(error).__name__)
                time.sleep(0.1)
        in_flight.join()
    assert finished == ["done"]
    # The signal takes a moment to land; from the first refusal on, nothing is ready.
    first_refusal = next(i for i, answer in enumerate(answers) if answer != 200)
    assert 200 not in answers[first_refusal:], answers
    assert len(answers) - first_refusal >= 4, answers  # it was probed during the drain
