"""Path traversal, fuzzed: whatever path a server passes through, a static mount answers
200 with a file that lies inside its directory, or a 404 problem; never anything else."""

from __future__ import annotations

import gzip
import os
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import unquote

import pytest
from hypothesis import event, given, settings
from hypothesis import strategies as st

from jero import BaseApp
from tests.asgi_driver import call

SECRET = b"TOP-SECRET-OUTSIDE"
HIDDEN = b"HIDDEN-INSIDE"

NAMES = st.sampled_from(
    [
        "public.txt",
        "public.txt.gz",
        "sub",
        "inner.txt",
        "in_link",
        "out_link",
        "out_dir",
        "secret.txt",
        "site",
        ".hidden",
    ]
)
TRICKS = st.sampled_from(
    [
        "..",
        ".",
        "",
        "...",
        "%2e%2e",
        "%2E%2e",
        "%2e",
        "..%2f",
        "%2e%2e%2f",
        "..%5c",
        "..\\",
        "\\",
        "\\..\\secret.txt",
        "%00",
        "\x00",
        "public.txt\x00.png",
        "/",
        "//",
        "etc",
        "passwd",
        "~",
        "..;",
        "C:",
        "%252e%252e",
    ]
)
# Real names twice as often as tricks, so that many paths reach a file (or almost do).
SEGMENTS = st.one_of(NAMES, NAMES, TRICKS, st.text(max_size=8))


# Paths to real targets (inside, through symlinks, or outside), decorated with more segments.
TARGETS = st.sampled_from(
    [
        ["public.txt"],
        ["sub", "inner.txt"],
        ["in_link"],
        ["out_link"],
        ["out_dir", "secret.txt"],
        ["out_dir", "site", "public.txt"],
        ["sub", "..", "public.txt"],
        ["..", "secret.txt"],
        ["sub", "..", "..", "secret.txt"],
        ["..", "site", "public.txt"],
    ]
)
PATHS = st.one_of(
    st.lists(SEGMENTS, max_size=4),
    st.tuples(st.lists(SEGMENTS, max_size=1), TARGETS, st.lists(SEGMENTS, max_size=1)).map(
        lambda parts: parts[0] + parts[1] + parts[2]
    ),
    TARGETS,
)


@pytest.fixture(scope="module")
def layout(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, dict[bytes, str]]]:
    base = tmp_path_factory.mktemp("traversal")
    (base / "secret.txt").write_bytes(SECRET)
    site = base / "site"
    (site / "sub").mkdir(parents=True)
    (site / "public.txt").write_bytes(b"public")
    (site / "public.txt.gz").write_bytes(gzip.compress(b"public"))
    (site / "sub" / "inner.txt").write_bytes(b"inner")
    (site / ".hidden").write_bytes(HIDDEN)
    (site / "out_link").symlink_to(base / "secret.txt")
    (site / "out_dir").symlink_to(base)
    (site / "in_link").symlink_to(site / "public.txt")
    root = os.path.realpath(site)
    servable: dict[bytes, str] = {}
    for directory, _, names in os.walk(site):
        for name in names:
            real = os.path.realpath(os.path.join(directory, name))
            if real.startswith(root + os.sep) and "/." not in real[len(root) :]:
                servable[Path(real).read_bytes()] = real
    yield site, servable


class App(BaseApp):
    site: Path

    async def _wire(self) -> None:
        self._include_static("/static", directory=self.site, precompressed=True)


@settings(max_examples=600, deadline=None)
@given(
    segments=PATHS,
    decode=st.booleans(),
    accept=st.sampled_from([None, b"gzip", b"br, gzip", b"*"]),
)
def test_no_file_outside_the_directory_is_ever_served(
    layout: tuple[Path, dict[bytes, str]], segments: list[str], decode: bool, accept: bytes | None
) -> None:
    site, servable = layout
    App.site = site
    path = "/static/" + "/".join(segments)
    if decode:  # a server that decodes once more than it should
        path = unquote(path)
    headers = [] if accept is None else [(b"accept-encoding", accept)]
    exchange = call(App(), "GET", path, headers=headers)
    exchange.assert_well_formed()
    event(f"status {exchange.status}")
    assert exchange.status in (200, 404), (path, exchange.status)
    assert SECRET not in exchange.body
    assert HIDDEN not in exchange.body
    if exchange.status == 200:
        assert exchange.body in servable, (path, exchange.body)
    else:
        assert exchange.problem()["type"] == "not-found"


HEADER_TEXT = st.one_of(
    st.sampled_from(
        [
            "bytes=0-",
            "bytes=-1",
            "bytes=5-2",
            "bytes=0-0,2-3",
            "bytes=99999999999999999999-",
            "bytes=-0",
            "bytes= 1 - 2 ",
            "BYTES=1-2",
            "bytes=",
            "=",
            "*",
            'W/"x"',
            '"x", *',
            "Sun, 06 Nov 1994 08:49:37 GMT",
            "br;q=abc",
            "gzip;q=0, *;q=1",
        ]
    ),
    st.text(alphabet=st.characters(min_codepoint=32, max_codepoint=255), max_size=30),
)
CONDITIONAL = st.sampled_from(
    [
        b"range",
        b"if-range",
        b"if-match",
        b"if-none-match",
        b"if-modified-since",
        b"if-unmodified-since",
        b"accept-encoding",
    ]
)


@settings(max_examples=300, deadline=None)
@given(
    headers=st.lists(st.tuples(CONDITIONAL, HEADER_TEXT), max_size=4),
    method=st.sampled_from(["GET", "HEAD"]),
)
def test_any_negotiation_headers_get_a_well_formed_answer(
    layout: tuple[Path, dict[bytes, str]], headers: list[tuple[bytes, str]], method: str
) -> None:
    site, _ = layout
    App.site = site
    raw = [(name, value.encode("latin-1")) for name, value in headers]
    exchange = call(App(), method, "/static/public.txt", headers=raw)
    exchange.assert_well_formed(head=method == "HEAD")
    event(f"status {exchange.status}")
    assert exchange.status in (200, 206, 304, 412, 416), (headers, exchange.status)
    if exchange.status >= 400 and method == "GET":
        exchange.problem()
