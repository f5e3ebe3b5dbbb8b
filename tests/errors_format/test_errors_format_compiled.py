"""What an app's error declarations compile to, and how field problems are read from
msgspec's messages."""

from __future__ import annotations

import pytest

from jero import FieldProblem
from jero._errors import InputProblem, input_fields
from jero._errors_format import InputStatuses, compile_errors
from jero._rendering.negotiation import send_json_problem, send_negotiated_problem
from tests.errors_format.errors_format_support import SpecFormat


def test_without_declarations_the_app_keeps_jeros_own_senders() -> None:
    assert compile_errors("App", None, None, msgpack=False).sender is send_json_problem
    assert compile_errors("App", None, None, msgpack=True).sender is send_negotiated_problem
    default = compile_errors("App", None, InputStatuses(), msgpack=False)
    assert default.sender is send_json_problem
    assert compile_errors("App", None, InputStatuses.all_422(), msgpack=False).sender not in (
        send_json_problem,
        send_negotiated_problem,
    )


def test_the_media_type_is_the_formats() -> None:
    assert compile_errors("App", None, None, msgpack=False).media_type == (
        "application/problem+json"
    )
    assert compile_errors("App", SpecFormat(), None, msgpack=False).media_type == (
        "application/json"
    )


@pytest.mark.parametrize(
    ("reason", "expected"),
    [
        (
            "Object missing required field `email` - at `$.user`",
            FieldProblem("body", "$.user.email", "Object missing required field `email`"),
        ),
        (
            "Object missing required field `email`",
            FieldProblem("body", "$.email", "Object missing required field `email`"),
        ),
        (
            "Expected `int`, got `str` - at `$.items[2].count`",
            FieldProblem("body", "$.items[2].count", "Expected `int`, got `str`"),
        ),
        ("Input data was truncated", FieldProblem("body", "$", "Input data was truncated")),
        (
            "Invalid enum value - at `$.kind`",
            FieldProblem("body", "$.kind", "Invalid enum value"),
        ),
    ],
)
def test_field_problems_split_msgspecs_message(reason: str, expected: FieldProblem) -> None:
    assert input_fields(InputProblem("body", reason)) == (expected,)


def test_no_input_problem_has_no_fields() -> None:
    assert input_fields(None) == ()
