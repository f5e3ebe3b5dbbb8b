"""The direct Struct constructors agree with msgspec wherever they accept the input."""

import msgspec
from hypothesis import given, settings
from hypothesis import strategies as st

from jero._fastpath import NotFastError, int_text, path_constructor, query_constructor


class Numbered(msgspec.Struct):
    number: int
    name: str


class Query(msgspec.Struct, rename="camel"):
    page_size: int = 10
    name: str = "x"


TEXT = st.one_of(st.text(max_size=24), st.from_regex(r"-?[0-9]{1,22}", fullmatch=True))


@settings(max_examples=300, deadline=None)
@given(TEXT)
def test_int_text_accepts_only_what_msgspec_reads_the_same(text: str) -> None:
    try:
        fast = int_text(text)
    except NotFastError:
        return
    assert msgspec.convert({"number": text, "name": ""}, Numbered, strict=False).number == fast


@settings(max_examples=300, deadline=None)
@given(TEXT, st.text(max_size=8))
def test_path_constructor_matches_msgspec(number: str, name: str) -> None:
    construct = path_constructor(Numbered, ("name", "number"))
    assert construct is not None
    try:
        fast = construct([name, number])
    except NotFastError:
        return
    assert fast == msgspec.convert({"number": number, "name": name}, Numbered, strict=False)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(["pageSize", "name", "other", ""]), TEXT), max_size=4))
def test_query_constructor_matches_msgspec(pairs: list[tuple[str, str]]) -> None:
    construct = query_constructor(Query)
    assert construct is not None
    query = "&".join(f"{k}={v}" for k, v in pairs).encode()
    try:
        fast = construct(query)
    except (NotFastError, UnicodeError):
        return
    first: dict[str, str] = {}
    for key, value in pairs:
        if "&" not in value and "=" not in value:
            first.setdefault(key, value)
    if any("&" in v or "=" in v for _, v in pairs):
        return
    assert fast == msgspec.convert(first, Query, strict=False)


def test_only_plain_str_and_int_structs_get_a_fast_constructor() -> None:
    class WithFloat(msgspec.Struct):
        ratio: float

    assert path_constructor(WithFloat, ("ratio",)) is None
    assert query_constructor(WithFloat) is None
