"""Static files from a real granian process over loopback: the whole-file path goes
through granian's `http.response.pathsend`, ranges and HEAD through jero's own chunks."""

from __future__ import annotations

import gzip
import hashlib
import os
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.granian_server import granian

BIG = 24 * 1024 * 1024 + 123


@pytest.fixture(scope="module")
def directory(tmp_path_factory: pytest.TempPathFactory) -> Path:
    base = tmp_path_factory.mktemp("granian-static")
    (base / "secret.txt").write_bytes(b"OUTSIDE")
    root = base / "public"
    root.mkdir()
    (root / "index.html").write_bytes(b"<!doctype html><title>app</title>")
    (root / "app.js").write_bytes(b"console.log(1);" * 100)
    (root / "app.js.gz").write_bytes(gzip.compress(b"console.log(1);" * 100))
    with open(root / "big.bin", "wb") as big:
        big.write(os.urandom(BIG))
    (root / "leak.txt").symlink_to(base / "secret.txt")
    return root


@pytest.fixture(scope="module")
def server(directory: Path, interface: str) -> Iterator[httpx.Client]:
    env = {"JERO_STATIC_DIR": str(directory)}
    with (
        granian("tests.static_server_app:app", env=env, interface=interface) as process,
        httpx.Client(base_url=process.url, timeout=30) as client,
    ):
        yield client


def last_sent(client: httpx.Client, path: str) -> dict[str, object]:
    records = client.get("/_sent").json()
    return next(r for r in reversed(records) if r["path"] == path)


def test_granian_offers_pathsend_and_the_whole_file_uses_it(
    server: httpx.Client, directory: Path
) -> None:
    digest = hashlib.sha256()
    with server.stream("GET", "/static/big.bin") as response:
        assert response.status_code == 200
        assert response.headers["content-length"] == str(BIG)
        assert response.headers["content-type"] == "application/octet-stream"
        for chunk in response.iter_raw():
            digest.update(chunk)
    assert digest.hexdigest() == hashlib.sha256((directory / "big.bin").read_bytes()).hexdigest()
    record = last_sent(server, "/static/big.bin")
    assert "http.response.pathsend" in record["extensions"]  # type: ignore[operator]
    assert record["types"] == ["http.response.start", "http.response.pathsend"]


def test_a_range_is_sent_in_chunks(server: httpx.Client, directory: Path) -> None:
    first, last = 1000, 3 * 1024 * 1024
    response = server.get("/static/big.bin", headers={"range": f"bytes={first}-{last}"})
    assert response.status_code == 206
    assert response.headers["content-range"] == f"bytes {first}-{last}/{BIG}"
    with open(directory / "big.bin", "rb") as big:
        big.seek(first)
        assert response.content == big.read(last - first + 1)
    types = last_sent(server, "/static/big.bin")["types"]
    assert types[0] == "http.response.start"
    assert set(types[1:]) == {"http.response.body"}  # type: ignore[arg-type]
    assert len(types) > 2  # type: ignore[arg-type]


def test_conditional_and_head_over_http(server: httpx.Client) -> None:
    first = server.get("/static/app.js")
    assert first.headers["cache-control"] == "public, max-age=3600"
    etag = first.headers["etag"]
    again = server.get("/static/app.js", headers={"if-none-match": etag})
    assert again.status_code == 304
    assert again.content == b""
    head = server.head("/static/big.bin")
    assert head.status_code == 200
    assert head.headers["content-length"] == str(BIG)
    assert head.content == b""
    unsatisfiable = server.get("/static/app.js", headers={"range": f"bytes={10**9}-"})
    assert unsatisfiable.status_code == 416
    assert unsatisfiable.json()["type"] == "range-not-satisfiable"


def test_precompressed_over_http(server: httpx.Client) -> None:
    response = server.get("/static/app.js", headers={"accept-encoding": "gzip"})
    assert response.headers["content-encoding"] == "gzip"
    assert response.headers["vary"] == "accept-encoding"
    assert response.content == b"console.log(1);" * 100  # httpx decodes the gzip body


def test_fallback_routes_and_traversal_over_http(server: httpx.Client) -> None:
    assert server.get("/ping").text == "pong"
    page = server.get("/static/settings/profile")
    assert page.content == b"<!doctype html><title>app</title>"
    assert server.get("/static/missing.png").status_code == 404
    assert server.get("/static/leak.txt").status_code == 404
    for raw in (
        b"/static/../secret.txt",
        b"/static/%2e%2e/secret.txt",
        b"/static/%2E%2E%2Fsecret.txt",
        b"/static/..%5csecret.txt",
        b"/static/%00",
        b"/static//etc/passwd",
    ):
        # Send the bytes as written: httpx would normalise dot segments itself.
        request = server.build_request("GET", "/")
        request.url = request.url.copy_with(raw_path=raw)
        response = server.send(request)
        assert response.status_code in (400, 404), (raw, response.status_code)
        assert b"OUTSIDE" not in response.content
