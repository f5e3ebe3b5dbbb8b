"""The realistic app's document: valid OpenAPI 3.1, and the app keeps its promises.

schemathesis generates requests from the document (valid and invalid ones, a bounded
number per operation), sends them to the app in-process, and checks every response
against the documented statuses, media types, headers and schemas.
"""

from __future__ import annotations

from typing import Any

import schemathesis
from hypothesis import HealthCheck, settings
from openapi_spec_validator import validate
from schemathesis.checks import CHECKS, load_all_checks

from examples.catalog import App
from jero.testing import TestClient

MAX_EXAMPLES = 25

load_all_checks()
ALL_CHECKS: list[Any] = [check for check in CHECKS.get_all() if not isinstance(check, type)]
"""Every check schemathesis has (what `--checks all` runs), named explicitly: the
default set is only what the configuration enables."""


def test_every_check_is_on() -> None:
    names = {check.__name__ for check in ALL_CHECKS}
    assert {
        "not_a_server_error",
        "status_code_conformance",
        "content_type_conformance",
        "response_headers_conformance",
        "response_schema_conformance",
        "negative_data_rejection",
        "positive_data_acceptance",
        "missing_required_header",
        "unsupported_method",
        "allow_header_conformance",
        "use_after_free",
        "ensure_resource_availability",
        "ignored_auth",
    } <= names


def test_the_catalog_document_is_valid_openapi_3_1() -> None:
    with TestClient(App()) as client:
        document = client.get("/openapi.json").json()
    validate(document)
    assert document["openapi"] == "3.1.0"
    methods = {"get", "put", "post", "delete", "patch"}
    operations = [
        op for item in document["paths"].values() for m, op in item.items() if m in methods
    ]
    assert len(operations) == 14
    assert len(document["components"]["schemas"]) >= 15


schema = schemathesis.openapi.from_asgi("/openapi.json", App())


@schema.parametrize()
@settings(
    max_examples=MAX_EXAMPLES,
    derandomize=True,
    deadline=None,
    suppress_health_check=list(HealthCheck),
)
def test_every_response_conforms_to_the_document(case: Any) -> None:
    # A clerk's token, so authenticated operations run their handlers too; schemathesis
    # also checks that leaving it out (or garbling it) is a documented 401.
    # Every check runs, on every case: no exemptions.
    case.call_and_validate(headers={"Authorization": "Bearer t-ann"}, checks=ALL_CHECKS)
