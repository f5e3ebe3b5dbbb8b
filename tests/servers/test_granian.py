"""The real thing: jero apps served by a granian process, spoken to over loopback HTTP."""

from collections.abc import Iterator

import httpx
import pytest

from tests.granian_server import granian


@pytest.fixture(scope="module")
def quickstart(interface: str) -> Iterator[httpx.Client]:
    with (
        granian("examples.quickstart:app", interface=interface) as server,
        httpx.Client(base_url=server.url) as client,
    ):
        yield client


@pytest.fixture(scope="module")
def widgets(interface: str) -> Iterator[httpx.Client]:
    with (
        granian("tests.granian_app:app", interface=interface) as server,
        httpx.Client(base_url=server.url) as client,
    ):
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
