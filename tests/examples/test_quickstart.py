"""The README quickstart, verbatim from examples/quickstart.py, under TestClient."""

from examples.quickstart import App
from jero.testing import TestClient


def test_quickstart_reads_one_widget() -> None:
    with TestClient(App()) as client:
        response = client.get("/widgets/abc")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    assert response.content == b'{"id":"abc","name":"widget-name"}'


def test_quickstart_unknown_path_is_a_problem() -> None:
    with TestClient(App()) as client:
        response = client.get("/gadgets/abc")
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json() == {"type": "not-found", "title": "Not found", "status": 404}
