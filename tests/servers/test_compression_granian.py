"""Over a real socket (granian, httpx streaming): a compressed NDJSON stream delivers
its first line, decodable, before the stream ends."""

from __future__ import annotations

import zlib
from collections.abc import Callable
from pathlib import Path

import brotli
import httpx
import msgspec
import pytest
import zstandard

from tests.compression_granian_app import Line
from tests.granian_server import granian


def _decoder(encoding: str) -> Callable[[bytes], bytes]:
    if encoding == "gzip":
        return zlib.decompressobj(31).decompress
    if encoding == "br":
        return brotli.Decompressor().process
    return zstandard.ZstdDecompressor().decompressobj().decompress


@pytest.mark.parametrize("encoding", ["gzip", "br", "zstd"])
def test_the_first_line_arrives_decodable_while_the_stream_is_open(
    encoding: str, tmp_path: Path, interface: str
) -> None:
    gate = tmp_path / "gate"
    env = {"JERO_COMPRESSION_GATE": str(gate)}
    decode = _decoder(encoding)
    with (
        granian("tests.compression_granian_app:app", env=env, interface=interface) as server,
        httpx.stream(
            "GET", f"{server.url}/lines", headers={"accept-encoding": encoding}, timeout=10
        ) as response,
    ):
        assert response.status_code == 200
        assert response.headers["content-encoding"] == encoding
        assert response.headers["vary"] == "Accept-Encoding"
        chunks = response.iter_raw()
        decoded = b""
        while b"\n" not in decoded:
            decoded += decode(next(chunks))
        # The gate is still closed: the server cannot have ended the stream yet.
        assert not gate.exists()
        first, _, rest = decoded.partition(b"\n")
        assert msgspec.json.decode(first, type=Line) == Line(0, "first")
        gate.touch()
        rest += b"".join(decode(chunk) for chunk in chunks)
    lines = [msgspec.json.decode(line, type=Line) for line in rest.splitlines()]
    assert lines == [Line(n, "more") for n in range(1, 4)]
