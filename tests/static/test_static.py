"""Static mounts through the in-process client: media types, validators, conditional
requests, ranges, precompressed siblings, the SPA fallback, precedence and wiring."""

from __future__ import annotations

import gzip
import os
from collections.abc import Iterator
from pathlib import Path

import msgspec
import pytest

from jero import BaseApp, Endpoint, Resource, WiringError
from jero.testing import TestClient
from tests.asgi_driver import call

CSS = b"body { color: red }\n" * 10


@pytest.fixture
def site(tmp_path: Path) -> Path:
    root = tmp_path / "site"
    (root / "css").mkdir(parents=True)
    (root / "css" / "app.css").write_bytes(CSS)
    (root / "index.html").write_bytes(b"<!doctype html><title>spa</title>")
    (root / "app.js").write_bytes(b"console.log('plain');")
    (root / "app.js.gz").write_bytes(gzip.compress(b"console.log('plain');"))
    (root / "app.js.br").write_bytes(b"pretend-brotli")
    (root / "data.json").write_bytes(b'{"a": 1}')
    (root / "blob.bin").write_bytes(bytes(range(256)))
    (root / "empty.txt").write_bytes(b"")
    (root / "photo.JPG").write_bytes(b"\xff\xd8\xff")
    (root / "archive.tar.gz").write_bytes(b"\x1f\x8b")
    (root / ".env").write_bytes(b"SECRET=1")
    return root


class PingEndpoint(Endpoint, path="/assets/ping"):
    async def get(self) -> str:
        return "pong"


def static_app(**options: object) -> type[BaseApp]:
    class App(BaseApp):
        async def _wire(self) -> None:
            self._include_endpoint(PingEndpoint())
            self._include_static("/assets", **options)  # type: ignore[arg-type]

    return App


@pytest.fixture
def client(site: Path) -> Iterator[TestClient]:
    app = static_app(directory=site, cache_control="public, max-age=60")()
    with TestClient(app) as client:
        yield client


def test_file_with_media_type_validators_and_cache_control(client: TestClient, site: Path) -> None:
    response = client.get("/assets/css/app.css")
    assert response.status_code == 200
    assert response.content == CSS
    assert response.headers["content-type"] == "text/css; charset=utf-8"
    assert response.headers["content-length"] == str(len(CSS))
    assert response.headers["cache-control"] == "public, max-age=60"
    assert response.headers["accept-ranges"] == "bytes"
    facts = os.stat(site / "css" / "app.css")
    assert response.headers["etag"] == f'"{facts.st_mtime_ns:x}-{facts.st_size:x}"'
    from email.utils import parsedate_to_datetime

    modified = parsedate_to_datetime(response.headers["last-modified"])
    assert int(modified.timestamp()) == int(facts.st_mtime)
    assert "vary" not in response.headers


@pytest.mark.parametrize(
    ("name", "media_type"),
    [
        ("app.js", "text/javascript; charset=utf-8"),
        ("data.json", "application/json; charset=utf-8"),
        ("blob.bin", "application/octet-stream"),
        ("photo.JPG", "image/jpeg"),
        ("archive.tar.gz", "application/gzip"),
        ("index.html", "text/html; charset=utf-8"),
    ],
)
def test_media_types(client: TestClient, name: str, media_type: str) -> None:
    response = client.get(f"/assets/{name}")
    assert response.status_code == 200
    assert response.headers["content-type"] == media_type
    assert "content-encoding" not in response.headers


def test_media_type_overrides(site: Path) -> None:
    (site / "site.webmanifest").write_bytes(b"{}")
    app = static_app(directory=site, media_types={".webmanifest": "application/manifest+json"})
    with TestClient(app()) as client:
        response = client.get("/assets/site.webmanifest")
    assert response.headers["content-type"] == "application/manifest+json"


def test_empty_file(client: TestClient) -> None:
    response = client.get("/assets/empty.txt")
    assert response.status_code == 200
    assert response.content == b""
    assert response.headers["content-length"] == "0"


def test_head_has_the_get_headers_and_no_body(client: TestClient) -> None:
    get = client.get("/assets/css/app.css")
    head = client.head("/assets/css/app.css")
    assert head.status_code == 200
    assert head.content == b""
    assert head.headers == get.headers


def test_if_none_match_is_304_with_validators_only(client: TestClient) -> None:
    etag = client.get("/assets/css/app.css").headers["etag"]
    for value in (etag, f"W/{etag}", f'"other", {etag}', "*"):
        response = client.get("/assets/css/app.css", headers={"if-none-match": value})
        assert response.status_code == 304, value
        assert response.content == b""
        assert response.headers["etag"] == etag
        assert response.headers["cache-control"] == "public, max-age=60"
        assert "content-length" not in response.headers
        assert "content-type" not in response.headers
    other = client.get("/assets/css/app.css", headers={"if-none-match": '"other"'})
    assert other.status_code == 200
    assert other.content == CSS


def test_if_modified_since(client: TestClient) -> None:
    last_modified = client.get("/assets/css/app.css").headers["last-modified"]
    same = client.get("/assets/css/app.css", headers={"if-modified-since": last_modified})
    assert same.status_code == 304
    older = "Thu, 01 Jan 1970 00:00:01 GMT"
    newer = client.get("/assets/css/app.css", headers={"if-modified-since": older})
    assert newer.status_code == 200
    bad = client.get("/assets/css/app.css", headers={"if-modified-since": "yesterday"})
    assert bad.status_code == 200
    # If-None-Match takes precedence: a tag that does not match means 200, whatever the date.
    both = {"if-modified-since": last_modified, "if-none-match": '"other"'}
    assert client.get("/assets/css/app.css", headers=both).status_code == 200


def test_if_match_failure_is_412_problem(client: TestClient) -> None:
    etag = client.get("/assets/css/app.css").headers["etag"]
    assert client.get("/assets/css/app.css", headers={"if-match": etag}).status_code == 200
    response = client.get("/assets/css/app.css", headers={"if-match": '"stale"'})
    assert response.status_code == 412
    assert response.json()["type"] == "precondition-failed"
    weak = client.get("/assets/css/app.css", headers={"if-match": f"W/{etag}"})
    assert weak.status_code == 412  # If-Match compares strongly
    epoch = "Thu, 01 Jan 1970 00:00:01 GMT"
    old = client.get("/assets/css/app.css", headers={"if-unmodified-since": epoch})
    assert old.status_code == 412


@pytest.mark.parametrize(
    ("spec", "status", "body", "content_range"),
    [
        ("bytes=0-9", 206, bytes(range(10)), "bytes 0-9/256"),
        ("bytes=250-", 206, bytes(range(250, 256)), "bytes 250-255/256"),
        ("bytes=-3", 206, bytes([253, 254, 255]), "bytes 253-255/256"),
        ("bytes=200-999", 206, bytes(range(200, 256)), "bytes 200-255/256"),
        ("bytes=-999", 206, bytes(range(256)), "bytes 0-255/256"),
        ("bytes=0-0", 206, b"\x00", "bytes 0-0/256"),
        ("bytes=0-1,5-6", 200, bytes(range(256)), None),
        ("bytes=9-3", 200, bytes(range(256)), None),
        ("items=0-3", 200, bytes(range(256)), None),
        ("bytes=a-b", 200, bytes(range(256)), None),
    ],
)
def test_single_range(
    client: TestClient, spec: str, status: int, body: bytes, content_range: str | None
) -> None:
    response = client.get("/assets/blob.bin", headers={"range": spec})
    assert response.status_code == status
    assert response.content == body
    assert response.headers["content-length"] == str(len(body))
    assert response.headers.get("content-range") == content_range


@pytest.mark.parametrize("spec", ["bytes=256-", "bytes=1000-2000", "bytes=-0"])
def test_unsatisfiable_range_is_416(client: TestClient, spec: str) -> None:
    response = client.get("/assets/blob.bin", headers={"range": spec})
    assert response.status_code == 416
    assert response.headers["content-range"] == "bytes */256"
    assert response.json()["type"] == "range-not-satisfiable"


def test_range_on_empty_file_is_416(client: TestClient) -> None:
    response = client.get("/assets/empty.txt", headers={"range": "bytes=0-"})
    assert response.status_code == 416
    assert response.headers["content-range"] == "bytes */0"


def test_if_range(client: TestClient) -> None:
    first = client.get("/assets/blob.bin")
    etag, date = first.headers["etag"], first.headers["last-modified"]
    for condition, status in [
        (etag, 206),
        (date, 206),
        ('"stale"', 200),
        (f"W/{etag}", 200),
        ("Thu, 01 Jan 1970 00:00:01 GMT", 200),
    ]:
        headers = {"range": "bytes=0-3", "if-range": condition}
        response = client.get("/assets/blob.bin", headers=headers)
        assert response.status_code == status, condition
        assert len(response.content) == (4 if status == 206 else 256)


def test_a_large_file_is_sent_in_bounded_chunks(tmp_path: Path) -> None:
    from jero._static.send import CHUNK_SIZE

    (tmp_path / "big.bin").write_bytes(os.urandom(CHUNK_SIZE * 3 + 17))
    exchange = call(static_app(directory=tmp_path)(), "GET", "/assets/big.bin")
    exchange.assert_well_formed()
    assert exchange.body == (tmp_path / "big.bin").read_bytes()
    bodies = [m["body"] for m in exchange.messages[1:]]
    assert len(bodies) == 4
    assert max(len(b) for b in bodies) == CHUNK_SIZE
    ranged = call(
        static_app(directory=tmp_path)(),
        "GET",
        "/assets/big.bin",
        headers=[(b"range", b"bytes=100-%d" % (CHUNK_SIZE + 200))],
    )
    ranged.assert_well_formed()
    assert ranged.status == 206
    assert ranged.body == (tmp_path / "big.bin").read_bytes()[100 : CHUNK_SIZE + 201]


# --- precompressed siblings ------------------------------------------------------


@pytest.fixture
def compressed(site: Path) -> Iterator[TestClient]:
    with TestClient(static_app(directory=site, precompressed=True)()) as client:
        yield client


@pytest.mark.parametrize(
    ("accept", "coding", "body"),
    [
        ("gzip, br", "br", b"pretend-brotli"),
        ("gzip", "gzip", None),
        ("br;q=0.5, gzip;q=0.9", "gzip", None),
        ("br;q=0, gzip;q=0", None, b"console.log('plain');"),
        ("identity", None, b"console.log('plain');"),
        ("*", "br", b"pretend-brotli"),
        ("*, br;q=0", "gzip", None),
    ],
)
def test_precompressed_sibling_by_accept_encoding(
    site: Path, accept: str, coding: str | None, body: bytes | None
) -> None:
    app = static_app(directory=site, precompressed=True)()
    exchange = call(app, "GET", "/assets/app.js", headers=[(b"accept-encoding", accept.encode())])
    exchange.assert_well_formed()
    assert exchange.status == 200
    assert exchange.header(b"vary") == b"accept-encoding"
    assert exchange.header(b"content-type") == b"text/javascript; charset=utf-8"
    assert exchange.header(b"content-encoding") == (None if coding is None else coding.encode())
    assert exchange.body == (body if body is not None else (site / "app.js.gz").read_bytes())


def test_each_variant_has_its_own_etag(compressed: TestClient) -> None:
    plain = compressed.get("/assets/app.js", headers={"accept-encoding": "identity"})
    brotli = compressed.head("/assets/app.js", headers={"accept-encoding": "br"})
    assert plain.headers["etag"] != brotli.headers["etag"]
    assert brotli.headers["etag"].endswith('-br"')
    again = compressed.get(
        "/assets/app.js",
        headers={"accept-encoding": "br", "if-none-match": brotli.headers["etag"]},
    )
    assert again.status_code == 304
    assert again.headers["vary"] == "accept-encoding"


def test_no_sibling_serves_the_file(compressed: TestClient) -> None:
    response = compressed.get("/assets/css/app.css", headers={"accept-encoding": "br, gzip"})
    assert "content-encoding" not in response.headers
    assert response.content == CSS
    assert response.headers["vary"] == "accept-encoding"


# --- fallback, refusals, methods ---------------------------------------------------


def test_spa_fallback_serves_pages_not_missing_assets(site: Path) -> None:
    app = static_app(directory=site, fallback="index.html")
    with TestClient(app()) as client:
        for path in ("/assets/settings/profile", "/assets", "/assets/", "/assets/css/"):
            response = client.get(path)
            assert response.status_code == 200, path
            assert response.content == b"<!doctype html><title>spa</title>"
            assert response.headers["content-type"] == "text/html; charset=utf-8"
        assert client.get("/assets/missing.js").status_code == 404
        assert client.get("/assets/.env").status_code == 404
        assert client.get("/assets/app.js").content == b"console.log('plain');"


@pytest.mark.parametrize(
    "path",
    [
        "/assets/.env",
        "/assets/../site/index.html",
        "/assets/css/../index.html",
        "/assets//etc/passwd",
        "/assets/css\\app.css",
        "/assets/css/app.css\x00.png",
        "/assets/css",
        "/assets/",
        "/assets/nothing.txt",
    ],
)
def test_refused_or_missing_is_404_problem(site: Path, path: str) -> None:
    exchange = call(static_app(directory=site)(), "GET", path)
    exchange.assert_well_formed()
    assert exchange.status == 404
    assert exchange.problem()["type"] == "not-found"


def test_symlinks_inside_are_served_and_outside_are_not(site: Path, tmp_path: Path) -> None:
    (tmp_path / "outside.txt").write_bytes(b"outside")
    (site / "escape.txt").symlink_to(tmp_path / "outside.txt")
    (site / "escape_dir").symlink_to(tmp_path)
    (site / "alias.css").symlink_to(site / "css" / "app.css")
    with TestClient(static_app(directory=site)()) as client:
        assert client.get("/assets/escape.txt").status_code == 404
        assert client.get("/assets/escape_dir/outside.txt").status_code == 404
        assert client.get("/assets/alias.css").content == CSS


def test_methods(client: TestClient) -> None:
    options = client.options("/assets/css/app.css")
    assert options.status_code == 204
    assert options.headers["allow"] == "GET, HEAD, OPTIONS"
    post = client.post("/assets/css/app.css")
    assert post.status_code == 405
    assert post.headers["allow"] == "GET, HEAD, OPTIONS"
    assert post.json()["type"] == "method-not-allowed"


def test_routes_win_over_the_mount(client: TestClient) -> None:
    assert client.get("/assets/ping").text == "pong"
    assert client.get("/assets/app.js").status_code == 200
    assert client.get("/other").status_code == 404


def test_root_path_is_honoured(site: Path) -> None:
    with TestClient(static_app(directory=site)(), root_path="/api") as client:
        assert client.get("/assets/css/app.css").content == CSS


def test_longest_prefix_wins(site: Path, tmp_path: Path) -> None:
    other = tmp_path / "other"
    other.mkdir()
    (other / "app.css").write_bytes(b"other")

    class App(BaseApp):
        async def _wire(self) -> None:
            self._include_static("/", directory=site)
            self._include_static("/assets/css", directory=other)

    with TestClient(App()) as client:
        assert client.get("/css/app.css").content == CSS
        assert client.get("/assets/css/app.css").content == b"other"
        assert client.get("/index.html").status_code == 200


# --- wiring -------------------------------------------------------------------------


class ItemPath(msgspec.Struct):
    name: str


class CssEndpoint(Endpoint, path="/assets/css/app.css"):
    async def post(self) -> str:
        return "posted"


class AssetResource(Resource, path="/assets"):
    async def read_one(self, path: ItemPath) -> str:
        return path.name


def wiring_error(wire: object) -> str:
    class App(BaseApp):
        async def _wire(self) -> None:
            wire(self)  # type: ignore[operator]

    with pytest.raises(WiringError) as caught, TestClient(App()):
        pass
    return str(caught.value)


def test_missing_directory_is_a_wiring_error(tmp_path: Path) -> None:
    message = wiring_error(lambda app: app._include_static("/a", directory=tmp_path / "nope"))
    assert "App._include_static('/a')" in message
    assert "is not an existing directory" in message


@pytest.mark.parametrize(
    ("prefix", "options", "fragment"),
    [
        ("/a/{slot}", {}, "remove the slot {slot}"),
        ("a", {}, "must start with '/'"),
        ("/a/", {}, "must not end with '/'"),
        ("/a", {"fallback": "missing.html"}, "is not a file inside"),
        ("/a", {"fallback": "../index.html"}, "relative to the directory"),
        ("/a", {"cache_control": "x\r\ny"}, "not a valid header value"),
        ("/a", {"media_types": {"webmanifest": "x"}}, "maps file suffixes"),
    ],
)
def test_bad_options_are_wiring_errors(
    site: Path, prefix: str, options: dict[str, object], fragment: str
) -> None:
    message = wiring_error(lambda app: app._include_static(prefix, directory=site, **options))
    assert fragment in message


def test_the_same_prefix_twice_is_a_wiring_error(site: Path) -> None:
    def wire(app: BaseApp) -> None:
        app._include_static("/a", directory=site)
        app._include_static("/a", directory=site)

    assert "is already mounted by" in wiring_error(wire)


def test_a_route_hiding_a_file_is_a_wiring_error(site: Path) -> None:
    def static_route(app: BaseApp) -> None:
        app._include_static("/assets", directory=site)
        app._include_endpoint(CssEndpoint())

    message = wiring_error(static_route)
    assert "CssEndpoint.post: POST /assets/css/app.css matches the file 'css/app.css'" in message

    def slotted_route(app: BaseApp) -> None:
        app._include_resource(AssetResource())
        app._include_static("/assets", directory=site)

    message = wiring_error(slotted_route)
    assert "AssetResource.read_one: GET /assets/{name} matches the file" in message


def test_a_route_below_the_prefix_matching_no_file_is_fine(site: Path) -> None:
    class App(BaseApp):
        async def _wire(self) -> None:
            self._include_static("/assets/css", directory=site / "css")
            self._include_endpoint(PingEndpoint())

    with TestClient(App()) as client:
        assert client.get("/assets/ping").text == "pong"


def test_problems_follow_the_apps_codec(site: Path) -> None:
    class App(BaseApp):
        async def _wire(self) -> None:
            self._include_static("/assets", directory=site)

    with TestClient(App(msgpack=True)) as client:
        missing = client.get("/assets/nope.css", headers={"accept": "application/msgpack"})
        assert missing.status_code == 404
        assert missing.headers["content-type"] == "application/problem+msgpack"
        assert msgspec.msgpack.decode(missing.content)["type"] == "not-found"
        assert client.get("/assets/css/app.css").content == CSS
