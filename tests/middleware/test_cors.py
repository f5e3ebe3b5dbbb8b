"""CORS against the Fetch standard's cases: simple, credentialed and preflighted
requests, `Vary: Origin`, wildcards, and the wiring rules."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pytest
from msgspec import Struct

from jero import CORS, BaseApp, Endpoint, Resource, WiringError
from jero.testing import TestClient

APP = "https://app.example"
EVIL = "https://evil.example"


class Widget(Struct):
    id: int
    name: str


class WidgetPath(Struct):
    widget_id: int


class WidgetResource(Resource, path="/widgets"):
    async def read_one(self, path: WidgetPath) -> Widget:
        return Widget(path.widget_id, "gear")

    async def update_partial(self, path: WidgetPath, json: Widget) -> Widget:
        return json

    async def create(self, json: Widget) -> Widget:
        return json


class OpenEndpoint(Endpoint, path="/open"):
    async def get(self) -> str:
        return "open"


def client_for(cors: CORS, *, per_mount: bool = False) -> TestClient:
    class App(BaseApp):
        async def _wire(self) -> None:
            if per_mount:
                self._include_resource(WidgetResource(), middleware=[cors])
            else:
                self._include_resource(WidgetResource())
                self._include_middleware(cors)
            self._include_endpoint(OpenEndpoint())

    return TestClient(App())


def preflight(
    client: TestClient, path: str, method: str, origin: str = APP, headers: str | None = None
) -> Any:
    sent = {"origin": origin, "access-control-request-method": method}
    if headers is not None:
        sent["access-control-request-headers"] = headers
    return client.options(path, headers=sent)


def vary(response: Any) -> list[str]:
    return [v.strip() for line in response.headers.get_list("vary") for v in line.split(",")]


def cors_headers(response: Any) -> dict[str, str]:
    return {k: v for k, v in response.headers.items() if k.startswith("access-control-")}


# --- requests that are not preflights ----------------------------------------------


def test_simple_request_from_an_allowed_origin() -> None:
    with client_for(CORS(allow_origins=[APP])) as client:
        response = client.get("/widgets/1", headers={"origin": APP})
    assert response.status_code == 200
    assert response.json() == {"id": 1, "name": "gear"}
    assert cors_headers(response) == {"access-control-allow-origin": APP}
    assert vary(response) == ["Origin"]


def test_other_origins_and_same_origin_requests_get_no_grant_but_vary() -> None:
    with client_for(CORS(allow_origins=[APP])) as client:
        evil = client.get("/widgets/1", headers={"origin": EVIL})
        plain = client.get("/widgets/1")
    for response in (evil, plain):
        assert response.status_code == 200  # the browser, not the server, withholds it
        assert cors_headers(response) == {}
        # A cache must not replay a grant-less answer to an allowed origin.
        assert vary(response) == ["Origin"]


def test_origins_compare_exactly() -> None:
    with client_for(CORS(allow_origins=["https://App.Example"])) as client:
        lower = client.get("/open", headers={"origin": APP})
        port = client.get("/open", headers={"origin": APP + ":8443"})
        scheme = client.get("/open", headers={"origin": "http://app.example"})
    assert lower.headers["access-control-allow-origin"] == APP
    assert "access-control-allow-origin" not in port.headers
    assert "access-control-allow-origin" not in scheme.headers


def test_wildcard_origin_is_sent_to_everyone_without_vary() -> None:
    with client_for(CORS(allow_origins=["*"], expose_headers=["X-Total"])) as client:
        cross = client.get("/open", headers={"origin": EVIL})
        plain = client.get("/open")
    for response in (cross, plain):
        assert cors_headers(response) == {
            "access-control-allow-origin": "*",
            "access-control-expose-headers": "x-total",
        }
        assert "vary" not in response.headers


def test_credentialed_request_echoes_the_origin_and_allows_credentials() -> None:
    cors = CORS(allow_origins=[APP], allow_credentials=True, expose_headers=["ETag", "X-Total"])
    with client_for(cors) as client:
        response = client.get("/open", headers={"origin": APP, "cookie": "session=1"})
    assert cors_headers(response) == {
        "access-control-allow-origin": APP,
        "access-control-allow-credentials": "true",
        "access-control-expose-headers": "etag, x-total",
    }
    assert vary(response) == ["Origin"]


def test_errors_carry_the_grant_so_the_page_can_read_the_problem() -> None:
    with client_for(CORS(allow_origins=[APP])) as client:
        missing = client.get("/nowhere", headers={"origin": APP})
        wrong = client.delete("/open", headers={"origin": APP})
        invalid = client.post("/widgets", json={"id": "x"}, headers={"origin": APP})
    assert [r.status_code for r in (missing, wrong, invalid)] == [404, 405, 422]
    for response in (missing, wrong, invalid):
        assert response.headers["content-type"] == "application/problem+json"
        assert response.headers["access-control-allow-origin"] == APP


def test_options_without_request_method_is_the_ordinary_answer() -> None:
    with client_for(CORS(allow_origins=[APP])) as client:
        response = client.options("/widgets/1", headers={"origin": APP})
    assert response.status_code == 204
    assert response.headers["allow"] == "GET, HEAD, OPTIONS, PATCH"
    assert response.headers["access-control-allow-origin"] == APP
    assert "access-control-allow-methods" not in response.headers


# --- preflights ----------------------------------------------------------------------


def test_preflight_is_answered_from_the_route_table() -> None:
    with client_for(CORS(allow_origins=[APP], allow_headers=["X-Trace-Id"])) as client:
        response = preflight(client, "/widgets/1", "PATCH", headers="content-type, x-trace-id")
        collection = preflight(client, "/widgets", "POST", headers="Content-Type")
    assert response.status_code == 204
    assert response.content == b""
    assert cors_headers(response) == {
        "access-control-allow-origin": APP,
        "access-control-allow-methods": "GET, HEAD, PATCH",
        "access-control-allow-headers": "content-type, x-trace-id",
        "access-control-max-age": "600",
    }
    assert vary(response) == ["Origin"]
    assert collection.headers["access-control-allow-methods"] == "POST"
    assert collection.headers["access-control-allow-headers"] == "content-type"


def test_preflight_for_a_method_the_path_lacks_is_refused() -> None:
    with client_for(CORS(allow_origins=[APP])) as client:
        response = preflight(client, "/widgets/1", "DELETE")
    assert response.status_code == 403
    assert response.headers["content-type"] == "application/problem+json"
    problem = response.json()
    assert problem["type"] == "cors-preflight-refused"
    assert problem["detail"] == "/widgets/{widget_id} does not answer DELETE"
    assert "access-control-allow-origin" not in response.headers


def test_preflight_from_another_origin_is_refused() -> None:
    with client_for(CORS(allow_origins=[APP])) as client:
        response = preflight(client, "/widgets/1", "PATCH", origin=EVIL)
    assert response.status_code == 403
    assert response.json()["detail"] == "the origin is not allowed"
    assert cors_headers(response) == {}


def test_preflight_asking_for_an_unlisted_header_is_refused() -> None:
    with client_for(CORS(allow_origins=[APP])) as client:
        response = preflight(client, "/widgets/1", "PATCH", headers="content-type, authorization")
    assert response.status_code == 403
    assert response.json()["detail"] == (
        "the request header authorization is not allowed cross-origin"
    )


def test_allow_methods_narrows_the_route_table() -> None:
    with client_for(CORS(allow_origins=[APP], allow_methods=["get"])) as client:
        allowed = preflight(client, "/widgets/1", "GET", headers="x-anything")
        narrowed = preflight(client, "/widgets/1", "PATCH")
    assert allowed.status_code == 403  # x-anything is not listed
    assert narrowed.status_code == 403
    assert narrowed.json()["detail"] == "PATCH is not allowed cross-origin on /widgets/{widget_id}"
    with client_for(CORS(allow_origins=[APP], allow_methods=["GET"])) as client:
        ok = preflight(client, "/widgets/1", "GET")
    assert ok.headers["access-control-allow-methods"] == "GET"


def test_wildcard_headers_echo_what_the_preflight_asks_for() -> None:
    with client_for(CORS(allow_origins=["*"], allow_headers=["*"], max_age=30)) as client:
        response = preflight(client, "/widgets", "POST", headers="authorization, x-trace-id")
    assert response.status_code == 204
    assert cors_headers(response) == {
        "access-control-allow-origin": "*",
        "access-control-allow-methods": "POST",
        "access-control-allow-headers": "authorization, x-trace-id",
        "access-control-max-age": "30",
    }
    assert vary(response) == ["Access-Control-Request-Headers"]


def test_credentialed_preflight() -> None:
    cors = CORS(allow_origins=[APP], allow_credentials=True, allow_headers=["authorization"])
    with client_for(cors) as client:
        response = preflight(client, "/widgets/1", "PATCH", headers="authorization")
    assert response.status_code == 204
    assert response.headers["access-control-allow-origin"] == APP
    assert response.headers["access-control-allow-credentials"] == "true"
    assert response.headers["access-control-allow-headers"] == "authorization"


def test_cors_on_one_mount_answers_preflights_for_its_paths_only() -> None:
    with client_for(CORS(allow_origins=[APP]), per_mount=True) as client:
        mounted = preflight(client, "/widgets/1", "PATCH")
        other = preflight(client, "/open", "GET")
        granted = client.get("/widgets/1", headers={"origin": APP})
        ungranted = client.get("/open", headers={"origin": APP})
    assert mounted.status_code == 204
    assert mounted.headers["access-control-allow-origin"] == APP
    assert other.status_code == 204  # the plain OPTIONS answer: no grant
    assert cors_headers(other) == {}
    assert granted.headers["access-control-allow-origin"] == APP
    assert cors_headers(ungranted) == {}


# --- wiring rules ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("options", "match"),
    [
        ({"allow_origins": ["*"], "allow_credentials": True}, r"allow_origins=\[\"\*\"\] with"),
        (
            {"allow_origins": [APP], "allow_headers": ["*"], "allow_credentials": True},
            r"allow_headers=\[\"\*\"\] with allow_credentials=True",
        ),
        (
            {"allow_origins": [APP], "expose_headers": ["*"], "allow_credentials": True},
            "expose_headers",
        ),
        ({"allow_origins": []}, "allow_origins is empty"),
        ({"allow_origins": ["https://app.example/"]}, "is not an origin"),
        ({"allow_origins": ["app.example"]}, "is not an origin"),
        ({"allow_origins": [APP], "allow_headers": ["x trace"]}, "not a header or method"),
        ({"allow_origins": [APP], "max_age": -1}, "max_age=-1"),
    ],
)
def test_cors_options_are_checked_at_wiring(options: dict[str, Any], match: str) -> None:
    with pytest.raises(WiringError, match=match):
        CORS(**options)


def test_a_single_origin_string_is_one_origin() -> None:
    origins: Sequence[str] = APP
    with client_for(CORS(allow_origins=origins)) as client:
        response = client.get("/open", headers={"origin": APP})
    assert response.headers["access-control-allow-origin"] == APP
