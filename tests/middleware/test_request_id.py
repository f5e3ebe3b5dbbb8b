"""RequestId: the id on the response and on every log record of the request, and one
structured access-log line per request."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator

import pytest
from msgspec import Struct

from jero import (
    BaseApp,
    Endpoint,
    NDJSONStreamingResponse,
    RequestId,
    WiringError,
    current_request_id,
)
from jero.testing import TestClient, iter_ndjson

app_logger = logging.getLogger("tests.request_id")


class Tick(Struct):
    n: int


class EchoEndpoint(Endpoint, path="/echo"):
    async def get(self) -> str:
        app_logger.warning("inside the handler")
        return current_request_id() or "-"


class CrashEndpoint(Endpoint, path="/crash"):
    async def get(self) -> str:
        raise RuntimeError("boom")


class TicksEndpoint(Endpoint, path="/ticks"):
    async def get(self) -> NDJSONStreamingResponse[Tick]:
        async def ticks() -> AsyncIterator[Tick]:
            for n in range(2):
                app_logger.warning("tick %d", n)
                yield Tick(n)

        return NDJSONStreamingResponse(stream=ticks())


def client_for(request_id: RequestId) -> TestClient:
    class App(BaseApp):
        async def _wire(self) -> None:
            self._include_middleware(request_id)
            self._include_endpoint(EchoEndpoint())
            self._include_endpoint(CrashEndpoint())
            self._include_endpoint(TicksEndpoint())

    return TestClient(App())


def test_an_incoming_id_is_kept_and_sent_back() -> None:
    with client_for(RequestId()) as client:
        response = client.get("/echo", headers={"x-request-id": "req-42.a"})
    assert response.headers["x-request-id"] == "req-42.a"
    assert response.text == "req-42.a"


@pytest.mark.parametrize("given", [None, "bad id", "x" * 129, "a\tb"])
def test_a_missing_or_malformed_id_is_replaced(given: str | None) -> None:
    headers = {"x-request-id": given} if given is not None else {}
    with client_for(RequestId()) as client:
        response = client.get("/echo", headers=headers)
    made = response.headers["x-request-id"]
    assert made != given
    assert len(made) == 32
    assert int(made, 16) >= 0
    assert response.text == made


def test_untrusted_incoming_ids_and_custom_header() -> None:
    with client_for(RequestId(header="X-Trace", trust_incoming=False)) as client:
        response = client.get("/echo", headers={"x-trace": "mine"})
    assert response.headers["x-trace"] != "mine"
    assert response.text == response.headers["x-trace"]
    assert "x-request-id" not in response.headers


def test_every_log_record_of_the_request_carries_its_id(
    caplog: pytest.LogCaptureFixture,
) -> None:
    with client_for(RequestId()) as client:
        crash = client.get("/crash", headers={"x-request-id": "crash-1"})
        client.get("/echo", headers={"x-request-id": "echo-1"})
        with client.stream("GET", "/ticks", headers={"x-request-id": "ticks-1"}) as stream:
            assert [t.n for t in iter_ndjson(stream, Tick)] == [0, 1]
    assert crash.status_code == 500
    assert crash.headers["x-request-id"] == "crash-1"
    by_message = {r.getMessage(): r for r in caplog.records}
    assert by_message["Unhandled error in GET /crash"].request_id == "crash-1"  # type: ignore[attr-defined]
    assert by_message["inside the handler"].request_id == "echo-1"  # type: ignore[attr-defined]
    assert by_message["tick 1"].request_id == "ticks-1"  # type: ignore[attr-defined]
    outside = logging.getLogger("jero").makeRecord("jero", logging.INFO, "f", 1, "m", (), None)
    assert outside.request_id is None  # type: ignore[attr-defined]
    assert current_request_id() is None


def test_one_access_line_per_request(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="jero.access")
    with client_for(RequestId()) as client:
        client.get("/echo", headers={"x-request-id": "a-1"})
        client.get("/nowhere", headers={"x-request-id": "a-2"})
        client.get("/crash", headers={"x-request-id": "a-3"})
        with client.stream("GET", "/ticks", headers={"x-request-id": "a-4"}) as stream:
            stream.read()
    lines = [r for r in caplog.records if r.name == "jero.access"]
    assert [r.request_id for r in lines] == ["a-1", "a-2", "a-3", "a-4"]  # type: ignore[attr-defined]
    echo, missing, crash, ticks = lines
    assert echo.getMessage().startswith("GET /echo 200 ")
    assert echo.getMessage().endswith("ms")
    fields = ("http_method", "route", "url_path", "status")
    assert [getattr(echo, f) for f in fields] == ["GET", "/echo", "/echo", 200]
    assert echo.duration_ms >= 0  # type: ignore[attr-defined]
    assert missing.getMessage().startswith("GET (no route) 404 ")
    assert [getattr(missing, f) for f in fields] == ["GET", None, "/nowhere", 404]
    assert crash.status == 500  # type: ignore[attr-defined]
    assert ticks.status == 200  # type: ignore[attr-defined]


def test_no_access_line_when_turned_off(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="jero.access")
    with client_for(RequestId(access_log=False)) as client:
        assert client.get("/echo").status_code == 200
    assert not [r for r in caplog.records if r.name == "jero.access"]


def test_a_bad_header_name_is_a_wiring_error() -> None:
    with pytest.raises(WiringError, match="is not a header name"):
        RequestId(header="X Request Id")
