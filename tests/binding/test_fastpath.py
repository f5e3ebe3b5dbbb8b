"""The direct Struct binders agree with msgspec on every input, plain or not."""

from collections.abc import Sequence
from typing import Annotated, Any

import msgspec
from hypothesis import given, settings
from hypothesis import strategies as st

from jero._binding.fastpath import NotFastError, int_text, path_binder, query_binder
from jero._binding.text import collect_query, parse_query
from jero._errors import InvalidInputError


class Numbered(msgspec.Struct):
    number: int
    name: str


class Id(msgspec.Struct):
    item_id: int


class Query(msgspec.Struct, rename="camel"):
    page_size: int = 10
    name: str = "x"


NAMES = frozenset(f.encode_name for f in msgspec.structs.fields(Query))
TEXT = st.one_of(st.text(max_size=24), st.from_regex(r"-?[0-9]{1,22}", fullmatch=True))


def referee(struct: type[msgspec.Struct], values: dict[str, Any]) -> Any:
    """msgspec's verdict: the Struct, or the ValidationError class."""
    try:
        return msgspec.convert(values, struct, strict=False)
    except msgspec.ValidationError:
        return msgspec.ValidationError


def slow_path(struct: type[msgspec.Struct], keys: Sequence[str]) -> Any:
    def slow(scope: Any, values: Sequence[str]) -> Any:
        return referee(struct, dict(zip(keys, values, strict=True)))

    return slow


def not_bound_directly(scope: Any, values: Sequence[str]) -> Any:
    """The slow path a binder builder hands back when it has no direct binder."""
    return "slow"


@settings(max_examples=300, deadline=None)
@given(TEXT)
def test_int_text_accepts_only_what_msgspec_reads_the_same(text: str) -> None:
    try:
        fast = int_text(text)
    except NotFastError:
        return
    assert referee(Id, {"item_id": text}) == Id(fast)


@settings(max_examples=300, deadline=None)
@given(TEXT)
def test_single_int_path_binder_matches_msgspec(text: str) -> None:
    bind = path_binder(Id, ("item_id",), slow_path(Id, ("item_id",)))
    assert bind({}, [text]) == referee(Id, {"item_id": text})


@settings(max_examples=300, deadline=None)
@given(TEXT, st.text(max_size=8))
def test_path_binder_matches_msgspec(number: str, name: str) -> None:
    bind = path_binder(Numbered, ("name", "number"), slow_path(Numbered, ("name", "number")))
    assert bind({}, [name, number]) == referee(Numbered, {"number": number, "name": name})


@settings(max_examples=500, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(["pageSize", "name", "other", ""]), TEXT), max_size=5))
def test_query_binder_matches_msgspec(pairs: list[tuple[str, str]]) -> None:
    def slow(scope: Any, values: Sequence[str]) -> Any:
        try:
            found = collect_query(parse_query(scope["query_string"]), frozenset(), NAMES)
        except InvalidInputError as error:  # a repeated key: the 400 the slow path raises
            return error.detail
        return referee(Query, found)

    query = "&".join(f"{k}={v}" for k, v in pairs).encode()
    scope = {"query_string": query}
    assert query_binder(Query, slow)(scope, []) == slow(scope, [])


def test_only_plain_str_and_int_structs_are_bound_directly() -> None:
    class WithFloat(msgspec.Struct):
        ratio: float

    assert path_binder(WithFloat, ("ratio",), not_bound_directly) is not_bound_directly
    assert query_binder(WithFloat, not_bound_directly) is not_bound_directly


def test_constrained_fields_are_left_to_msgspec() -> None:
    class Bounded(msgspec.Struct):
        item_id: Annotated[int, msgspec.Meta(ge=1)]

    assert path_binder(Bounded, ("item_id",), not_bound_directly) is not_bound_directly
    assert query_binder(Bounded, not_bound_directly) is not_bound_directly
