"""Malformed multipart bodies: always a complete 2xx/4xx answer, never a 5xx, and never a
temporary file or descriptor left behind, however the body is broken or chunked."""

import tempfile
from pathlib import Path

import msgspec
from hypothesis import event, given, settings
from hypothesis import strategies as st

from jero import Endpoint, FilePart, FormPart, Limits
from tests.forms_support import BOUNDARY, body, chunked, open_fds, part, play
from tests.routes_app import app_of

FUZZ = settings(max_examples=200, deadline=None)


class Meta(msgspec.Struct):
    title: str
    size: int = 0


class Target(msgspec.Struct):
    file: FilePart | None = None
    files: list[FilePart] = []
    count: int | None = None
    meta: Meta | None = None
    tags: list[str] = []
    labelled: FormPart[str] | None = None


class Seen(msgspec.Struct):
    sizes: list[int]


class FuzzEndpoint(Endpoint, path="/fuzz"):
    async def post(self, form: Target) -> Seen:
        files = [f for f in [form.file, *form.files] if f is not None]
        return Seen([len(await f.read()) for f in files])


LIMITS = Limits(spool_threshold=64, max_part_size=2048, max_form_parts=12, max_form_size=32_768)
APP = app_of(FuzzEndpoint(), limits=LIMITS)

DELIMITER = f"--{BOUNDARY}".encode()
TOKENS = st.sampled_from(
    [
        DELIMITER + b"\r\n",
        DELIMITER + b"--\r\n",
        DELIMITER,
        b"\r\n",
        b"\n",
        b"--",
        b'Content-Disposition: form-data; name="file"; filename="f.bin"\r\n',
        b'Content-Disposition: form-data; name="files"; filename=""\r\n',
        b'Content-Disposition: form-data; name="count"\r\n',
        b'Content-Disposition: form-data; name="meta"\r\n',
        b'Content-Disposition: form-data; name="labelled"\r\n',
        b'Content-Disposition: attachment; name="x"\r\n',
        b"Content-Type: text/plain; charset=nope\r\n",
        b"Content-Length: 3\r\n",
        b"X-Broken header line\r\n",
        b'{"title": "t", "size": 1}',
        b"12",
        b"x" * 3000,
        bytes(range(256)),
    ]
)

VALID = body(
    part("file", b"f" * 300, filename="f.bin", content_type="application/octet-stream"),
    part("files", b"g" * 100, filename="g.bin"),
    part("count", "7"),
    part("meta", '{"title": "t"}'),
    part("tags", "a"),
    part("labelled", "l", headers=[("X-Note", "n")]),
)


NAMES = st.sampled_from(["file", "files", "count", "meta", "tags", "labelled", "other", ""])
VALUES = st.one_of(
    st.sampled_from([b"7", b"-1", b"nope", b'{"title": "t"}', b'{"size": "x"}', b"x" * 3000]),
    st.binary(max_size=300),
)
# JSON nested past msgspec's recursion limit (about 10,000 levels): under an unknown key,
# which the decoder skips recursively, or where `title` expects a string.
DEEP_JSON = st.builds(
    lambda prefix, opener, depth: prefix + opener * depth,
    st.sampled_from([b'{"x":', b'{"title":', b'{"title": "t", "y":']),
    st.sampled_from([b"[", b'{"a":', b"[{}, "]),
    st.integers(10_000, 30_000),
)
DEEP_APP = app_of(FuzzEndpoint(), limits=Limits(max_part_size=1024 * 1024))


@st.composite
def well_framed_parts(draw: st.DrawFn) -> bytes:
    """Correct framing around random names, filenames and values: binding failures."""
    parts = [
        part(
            draw(NAMES),
            draw(VALUES),
            filename=draw(st.none() | st.sampled_from(["", "f.bin", "a%22b"])),
            content_type=draw(st.none() | st.sampled_from(["text/plain; charset=nope"])),
        )
        for _ in range(draw(st.integers(0, 15)))
    ]
    return body(*parts)


@st.composite
def malformed_bodies(draw: st.DrawFn) -> bytes:
    kind = draw(st.sampled_from(["tokens", "truncated", "mutated", "spliced", "framed"]))
    event(kind)
    if kind == "framed":
        return draw(well_framed_parts())
    if kind == "tokens":
        return b"".join(draw(st.lists(st.one_of(TOKENS, st.binary(max_size=64)), max_size=30)))
    if kind == "truncated":
        return VALID[: draw(st.integers(0, len(VALID)))]
    if kind == "mutated":
        data = bytearray(VALID)
        for _ in range(draw(st.integers(1, 8))):
            data[draw(st.integers(0, len(data) - 1))] = draw(st.integers(0, 255))
        return bytes(data)
    cut = draw(st.integers(0, len(VALID)))
    return VALID[:cut] + draw(st.one_of(TOKENS, st.binary(max_size=200))) + VALID[cut:]


@FUZZ
@given(payload=malformed_bodies(), chunk_size=st.integers(1, 4096))
def test_malformed_multipart_never_breaks_the_app_or_leaks_files(
    payload: bytes, chunk_size: int
) -> None:
    before = open_fds()
    with tempfile.TemporaryDirectory() as directory:
        saved, tempfile.tempdir = tempfile.tempdir, directory
        try:
            exchange = play(APP, "/fuzz", chunked(payload, chunk_size))
        finally:
            tempfile.tempdir = saved
        assert list(Path(directory).iterdir()) == []
    assert open_fds() == before
    exchange.assert_well_formed()
    event(f"status {exchange.status}")
    assert exchange.status in (200, 400, 413, 422), exchange.body
    if exchange.status != 200:
        exchange.problem()


@settings(max_examples=50, deadline=None)
@given(document=DEEP_JSON, chunk_size=st.integers(1024, 65_536))
def test_a_json_part_nested_too_deep_is_a_400_or_422_problem(
    document: bytes, chunk_size: int
) -> None:
    exchange = play(DEEP_APP, "/fuzz", chunked(body(part("meta", document)), chunk_size))
    exchange.assert_well_formed()
    event(f"status {exchange.status}")
    assert exchange.status in (400, 422), exchange.body
    exchange.problem()


def test_the_valid_seed_body_binds() -> None:
    exchange = play(APP, "/fuzz", chunked(VALID, 100))
    assert exchange.status == 200, exchange.body
    assert msgspec.json.decode(exchange.body) == {"sizes": [300, 100]}
