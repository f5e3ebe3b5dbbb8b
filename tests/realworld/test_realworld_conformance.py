"""The RealWorld example against its own OpenAPI document: schemathesis generates
requests (valid and invalid, a bounded number per operation), sends them in-process, and
runs every check it has on every response. Errors are the spec's body, not problem
details, and the document says so: this is what makes a custom error format testable."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from openapi_spec_validator import validate
from schemathesis.checks import CHECKS, load_all_checks

from jero.testing import TestClient
from tests.realworld.realworld_support import Conduit, conduit

MAX_EXAMPLES = 20

load_all_checks()
ALL_CHECKS: list[Any] = [check for check in CHECKS.get_all() if not isinstance(check, type)]

_DATABASE = Path(tempfile.mkdtemp(prefix="conduit-")) / "conduit.sqlite3"
DATABASE_URL = f"sqlite:///{_DATABASE}"


AUTH: dict[str, str] = {}


@pytest.fixture(scope="module", autouse=True)
def seeded() -> None:
    """A registered user with an article, so authenticated operations reach handlers."""
    if not AUTH:
        with TestClient(conduit(DATABASE_URL)) as client:
            driver = Conduit(client)
            AUTH.update(driver.register("jake"))
            driver.write(AUTH, "Dragons", ["dragons"])


def test_the_document_is_valid_and_describes_the_spec_errors() -> None:
    with TestClient(conduit(DATABASE_URL)) as client:
        document = client.get("/api/openapi.json").json()
    validate(document)
    error_responses = [
        response
        for item in document["paths"].values()
        for operation in item.values()
        for status, response in operation["responses"].items()
        if status == "default" or int(status) >= 400
    ]
    assert error_responses
    for response in error_responses:
        assert response["content"] == {
            "application/json": {"schema": {"$ref": "#/components/schemas/GenericErrorModel"}}
        }
    assert "400" not in {
        s for item in document["paths"].values() for op in item.values() for s in op["responses"]
    }
    assert document["components"]["securitySchemes"]["TokenAuth"]["in"] == "header"
    comments = document["paths"]["/api/articles/{slug}/comments"]["post"]["responses"]
    assert "200" in comments and "201" not in comments


schema = schemathesis.openapi.from_asgi("/api/openapi.json", conduit(DATABASE_URL))


@schema.parametrize()
@settings(
    max_examples=MAX_EXAMPLES,
    derandomize=True,
    deadline=None,
    suppress_health_check=list(HealthCheck),
)
def test_every_response_conforms_to_the_document(case: Any) -> None:
    assert AUTH, "the module fixture registers the caller first"
    case.call_and_validate(headers=AUTH, checks=ALL_CHECKS)
