"""Cookies: `cookies: S` reads the Cookie header leniently; `SetCookie` writes Set-Cookie
headers, secure by default, validated when built, on every response type."""

import datetime
from collections.abc import AsyncIterator
from typing import Annotated, Any, Literal

import msgspec
import pytest

from jero import (
    Accepted,
    BaseApp,
    BytesResponse,
    Created,
    Endpoint,
    JSONResponse,
    NDJSONStreamingResponse,
    NoContent,
    Resource,
    SetCookie,
    SSEResponse,
    StreamingResponse,
)
from jero._binding.cookies import parse_cookie_header
from jero.testing import TestClient
from tests.asgi_driver import call
from tests.routes_app import app_of, wiring_error_of


class Session(msgspec.Struct):
    sid: str
    theme: Literal["light", "dark"] = "light"
    visits: Annotated[int, msgspec.Meta(ge=0)] = 0
    Case: str = ""
    flags: list[str] = []
    tracking_id: str | None = msgspec.field(default=None, name="tracking-id")


class Seen(msgspec.Struct):
    session: dict[str, Any]


class SessionEndpoint(Endpoint, path="/session"):
    async def get(self, cookies: Session) -> Seen:
        return Seen(msgspec.to_builtins(cookies))


class Token(msgspec.Struct):
    token: str


class LoginEndpoint(Endpoint, path="/login"):
    async def post(self) -> NoContent:
        return NoContent(cookies=[SetCookie("sid", "s-123", max_age=3600)])

    async def delete(self) -> NoContent:
        return NoContent(cookies=[SetCookie.expire("sid")])


class WhoAmIEndpoint(Endpoint, path="/whoami"):
    async def get(self, cookies: Session) -> Token:
        return Token(cookies.sid)


class ResponsesResource(Resource, path="/answers"):
    async def create(self) -> Created[Token]:
        return Created(Token("c"), cookies=[SetCookie("a", "1"), SetCookie("b", "2")])

    async def read_many(self) -> JSONResponse[list[Token]]:
        return JSONResponse([Token("j")], cookies=[SetCookie("j", "1", http_only=False)])

    async def update_full(self, path: "AnswerPath") -> Accepted[Token]:
        return Accepted(Token(path.answer_id), cookies=[SetCookie("acc", "1")])

    async def read_one(self, path: "AnswerPath") -> BytesResponse:
        return BytesResponse(b"raw", cookies=[SetCookie("bytes", "1", same_site="strict")])


class AnswerPath(msgspec.Struct):
    answer_id: str


class App(BaseApp):
    async def _wire(self) -> None:
        self._include_endpoint(SessionEndpoint())
        self._include_endpoint(LoginEndpoint())
        self._include_endpoint(WhoAmIEndpoint())
        self._include_resource(ResponsesResource())


def _cookie_request(*values: bytes) -> tuple[int, Any]:
    exchange = call(App(), "GET", "/session", headers=[(b"cookie", v) for v in values])
    return exchange.status, msgspec.json.decode(exchange.body)


# --- reading ----------------------------------------------------------------------------


def test_cookies_bind_by_their_exact_names() -> None:
    status, data = _cookie_request(
        b"sid=abc; theme=dark; visits=3; Case=upper; tracking-id=t1; flags=a; flags=b"
    )
    assert status == 200
    assert data == {
        "session": {
            "sid": "abc",
            "theme": "dark",
            "visits": 3,
            "Case": "upper",
            "flags": ["a", "b"],
            "tracking-id": "t1",
        }
    }


def test_cookie_names_are_case_sensitive() -> None:
    status, data = _cookie_request(b"SID=abc; case=lower; sid=real")
    assert status == 200
    assert data["session"]["sid"] == "real"
    assert data["session"]["Case"] == ""


def test_the_cookie_header_is_parsed_leniently() -> None:
    status, data = _cookie_request(b' ; junk ;  sid = "quoted" ;=novalue; theme=dark;;sid=second ')
    assert status == 200
    assert data["session"]["sid"] == "quoted"  # trimmed, unquoted, the first one wins
    assert data["session"]["theme"] == "dark"


def test_cookies_split_over_several_headers_are_all_read() -> None:
    status, data = _cookie_request(b"sid=abc", b"theme=dark")
    assert status == 200
    assert (data["session"]["sid"], data["session"]["theme"]) == ("abc", "dark")


@pytest.mark.parametrize(
    ("header", "reason"),
    [
        (b"theme=dark", "Object missing required field `sid`"),
        (b"", "Object missing required field `sid`"),
        (b"sid=a; theme=blue", "Invalid enum value - at `$.theme`"),
        (b"sid=a; visits=-1", "Expected `int` >= 0 - at `$.visits`"),
    ],
)
def test_a_missing_or_malformed_cookie_is_400(header: bytes, reason: str) -> None:
    status, data = _cookie_request(header)
    assert status == 400
    assert data == {
        "type": "malformed-request",
        "title": "Malformed request",
        "status": 400,
        "detail": f"Invalid cookies: {reason}",
        "params": {"source": "cookies", "reason": reason},
    }


def test_no_cookie_header_at_all_is_400() -> None:
    exchange = call(App(), "GET", "/session")
    assert exchange.status == 400


def test_parse_cookie_header_keeps_values_verbatim() -> None:
    assert parse_cookie_header('a=1; b="x y"; c=%41; d==e; f') == [
        ("a", "1"),
        ("b", "x y"),
        ("c", "%41"),
        ("d", "=e"),
    ]


def test_cookies_must_be_a_struct() -> None:
    class Bad(Endpoint, path="/bad"):
        async def get(self, cookies: dict[str, str]) -> Token:
            return Token("x")

    wiring_error_of(app_of(Bad()), r"Bad.get parameter `cookies` must be annotated with a")


# --- writing ----------------------------------------------------------------------------


def test_set_cookie_is_secure_by_default() -> None:
    assert SetCookie("sid", "abc").header() == (
        b"set-cookie",
        b"sid=abc; Path=/; Secure; HttpOnly; SameSite=Lax",
    )


def test_set_cookie_renders_every_attribute() -> None:
    cookie = SetCookie(
        "__Secure-id",
        "v",
        max_age=60,
        expires=datetime.datetime(2030, 1, 2, 3, 4, 5, tzinfo=datetime.UTC),
        path="/app",
        domain="example.com",
        same_site="none",
        partitioned=True,
    )
    assert cookie.header_value == (
        b"__Secure-id=v; Max-Age=60; Expires=Wed, 02 Jan 2030 03:04:05 GMT; "
        b"Domain=example.com; Path=/app; Secure; HttpOnly; SameSite=None; Partitioned"
    )
    plain = SetCookie("p", "", path=None, secure=False, http_only=False, same_site=None)
    assert plain.header_value == b"p="


def test_expires_is_converted_to_gmt() -> None:
    plus_two = datetime.timezone(datetime.timedelta(hours=2))
    cookie = SetCookie("a", "b", expires=datetime.datetime(2030, 1, 1, 2, 0, tzinfo=plus_two))
    assert b"Expires=Tue, 01 Jan 2030 00:00:00 GMT" in cookie.header_value


def test_expire_deletes_with_the_same_scope() -> None:
    assert SetCookie.expire("sid").header_value == (
        b"sid=; Max-Age=0; Expires=Thu, 01 Jan 1970 00:00:00 GMT; Path=/; Secure; HttpOnly; "
        b"SameSite=Lax"
    )
    scoped = SetCookie.expire("sid", path="/app", domain="example.com")
    assert b"Domain=example.com; Path=/app" in scoped.header_value


def test_set_cookie_is_an_immutable_value() -> None:
    cookie = SetCookie("a", "b")
    assert cookie == SetCookie("a", "b")
    assert "header_value" not in repr(cookie)
    with pytest.raises(AttributeError):
        cookie.value = "c"  # type: ignore[misc]


@pytest.mark.parametrize(
    ("build", "message"),
    [
        (lambda: SetCookie("sid", "a;b"), r"value contains ';' at index 1"),
        (lambda: SetCookie("sid", "a\r\nX-Evil: 1"), r"value contains '\\r' at index 1"),
        (lambda: SetCookie("sid", "a\x00"), r"value contains '\\x00'"),
        (lambda: SetCookie("sid", "a\x7f"), r"value contains '\\x7f'"),
        (lambda: SetCookie("sid", "café"), r"value contains 'é'.*non-ASCII"),
        (lambda: SetCookie("bad name", "v"), r"cookie name 'bad name' is not a token"),
        (lambda: SetCookie("a=b", "v"), r"is not a token"),
        (lambda: SetCookie("", "v"), r"is not a token"),
        (lambda: SetCookie("sid", "v", path="/a;b"), r"path contains ';'"),
        (lambda: SetCookie("sid", "v", domain="x\n"), r"domain contains"),
        (lambda: SetCookie("sid", "v", same_site="none", secure=False), r"SameSite=None without"),
        (lambda: SetCookie("sid", "v", same_site="always"), r"same_site must be"),  # type: ignore[arg-type]
        (lambda: SetCookie("sid", "v", partitioned=True, secure=False), r"partitioned cookies"),
        (lambda: SetCookie("sid", "v", expires=datetime.datetime(2030, 1, 1)), r"aware datetime"),
        (lambda: SetCookie("sid", "v", max_age=1.5), r"max_age must be an int"),  # type: ignore[arg-type]
        (lambda: SetCookie("__Secure-x", "v", secure=False), r"prefix requires secure=True"),
        (lambda: SetCookie("__Host-x", "v", domain="a.com"), r"__Host- cookie needs path='/'"),
        (lambda: SetCookie("__Host-x", "v", path="/a"), r"__Host- cookie needs path='/'"),
        (lambda: SetCookie("sid", 3), r"value must be a str"),  # type: ignore[arg-type]
    ],
)
def test_bad_cookies_fail_where_they_are_built(build: Any, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        build()


def test_every_response_type_emits_one_set_cookie_per_entry() -> None:
    with TestClient(App()) as client:
        created = client.post("/answers")
        listed = client.get("/answers")
        accepted = client.put("/answers/x")
        raw = client.get("/answers/x")
        no_content = client.post("/login")
    assert created.status_code == 201
    assert created.headers.get_list("set-cookie") == [
        "a=1; Path=/; Secure; HttpOnly; SameSite=Lax",
        "b=2; Path=/; Secure; HttpOnly; SameSite=Lax",
    ]
    assert listed.headers.get_list("set-cookie") == ["j=1; Path=/; Secure; SameSite=Lax"]
    assert accepted.status_code == 202
    assert accepted.headers.get_list("set-cookie") == [
        "acc=1; Path=/; Secure; HttpOnly; SameSite=Lax"
    ]
    assert raw.content == b"raw"
    assert raw.headers.get_list("set-cookie") == [
        "bytes=1; Path=/; Secure; HttpOnly; SameSite=Strict"
    ]
    assert no_content.status_code == 204
    assert no_content.headers.get_list("set-cookie") == [
        "sid=s-123; Max-Age=3600; Path=/; Secure; HttpOnly; SameSite=Lax"
    ]


def test_responses_without_cookies_send_no_set_cookie() -> None:
    with TestClient(App(), cookies={"sid": "x"}) as client:
        response = client.get("/session")
    assert response.status_code == 200
    assert "set-cookie" not in response.headers


# --- the test client --------------------------------------------------------------------


def test_the_test_client_keeps_secure_cookies_like_a_browser() -> None:
    with TestClient(App()) as client:
        assert client.get("/whoami").status_code == 400
        client.post("/login")
        assert client.cookies["sid"] == "s-123"
        assert client.get("/whoami").json() == {"token": "s-123"}
        client.delete("/login")
        assert "sid" not in client.cookies
        assert client.get("/whoami").status_code == 400


def test_the_test_client_sends_cookies_given_to_it() -> None:
    with TestClient(App(), cookies={"sid": "from-client"}) as client:
        assert client.get("/whoami").json() == {"token": "from-client"}
        client.cookies.set("sid", "set-later")
        assert client.get("/whoami").json() == {"token": "set-later"}


@pytest.mark.filterwarnings("ignore:Setting per-request cookies:DeprecationWarning")
def test_the_test_client_takes_per_request_cookies() -> None:
    with TestClient(App()) as client:
        assert client.get("/whoami", cookies={"sid": "per-request"}).json() == {
            "token": "per-request"
        }


class Tick(msgspec.Struct):
    n: int


async def _ticks() -> AsyncIterator[Tick]:
    for n in range(2):
        yield Tick(n)


async def _chunks() -> AsyncIterator[bytes]:
    yield b"a"
    yield b"b"


class StreamsEndpoint(Endpoint, path="/streams"):
    async def get(self) -> SSEResponse[Tick]:
        return SSEResponse(_ticks(), cookies=[SetCookie("sse", "1")])

    async def post(self) -> NDJSONStreamingResponse[Tick]:
        return NDJSONStreamingResponse(_ticks(), cookies=[SetCookie("nd", "1")])

    async def put(self) -> StreamingResponse:
        return StreamingResponse(_chunks(), cookies=[SetCookie("raw", "1"), SetCookie("x", "2")])


def test_streaming_responses_emit_their_cookies() -> None:
    with TestClient(app_of(StreamsEndpoint())) as client:
        sse = client.get("/streams")
        ndjson = client.post("/streams")
        raw = client.put("/streams")
    assert sse.headers.get_list("set-cookie") == ["sse=1; Path=/; Secure; HttpOnly; SameSite=Lax"]
    assert ndjson.headers.get_list("set-cookie") == ["nd=1; Path=/; Secure; HttpOnly; SameSite=Lax"]
    assert raw.content == b"ab"
    assert raw.headers.get_list("set-cookie") == [
        "raw=1; Path=/; Secure; HttpOnly; SameSite=Lax",
        "x=2; Path=/; Secure; HttpOnly; SameSite=Lax",
    ]
