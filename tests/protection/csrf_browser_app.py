"""The API the Chromium CSRF test serves in granian (one worker, plain HTTP on loopback,
so its cookies are not `Secure`). A victim's browser gets a `sid` cookie from GET
/start; POST /transfer trusts that cookie and is guarded by `CSRF`. Every POST that
reaches the app is recorded (with its Origin and whether the cookie came along) by an
outer layer, every one the handler runs as "handled"; GET /log tells the test."""

from __future__ import annotations

from msgspec import Struct

from jero import (
    CSRF,
    ASGIApp,
    BaseApp,
    BytesResponse,
    Endpoint,
    JSONResponse,
    Receive,
    RouteInfo,
    Scope,
    Send,
    SetCookie,
)

LOG: list[str] = []

# Served by the API itself: the user's own page, which may read the token and send it.
OWN_PAGE = b"""<!doctype html>
<html><body><pre id="result">pending</pre>
<script>
(async () => {
  const out = {};
  try {
    await fetch("/start", {credentials: "include"});
    const token = document.cookie.split("; ").find(c => c.startsWith("csrf_token=")).slice(11);
    const answer = await fetch("/transfer", {
      method: "POST", credentials: "include", headers: {"x-csrf-token": token},
    });
    out.status = answer.status;
    out.body = await answer.text();
  } catch (error) {
    out.error = error.name + ": " + error.message;
  }
  document.getElementById("result").textContent = JSON.stringify(out);
})();
</script></body></html>
"""


class User(Struct):
    name: str


class Sid(Struct):
    sid: str


class CookieAuth:
    async def authenticate(self, cookies: Sid) -> User:
        return User(cookies.sid)


class Start(Endpoint, path="/start"):
    async def get(self) -> JSONResponse[User]:
        cookie = SetCookie("sid", "victim", secure=False)
        return JSONResponse(User("victim"), cookies=[cookie])


class Transfer(Endpoint, path="/transfer"):
    async def post(self, user: User) -> str:
        LOG.append("handled")
        return f"moved for {user.name}"


class Page(Endpoint, path="/page"):
    async def get(self) -> BytesResponse:
        return BytesResponse(content=OWN_PAGE, media_type="text/html; charset=utf-8")


class Entries(Struct):
    entries: list[str]


class Log(Endpoint, path="/log"):
    async def get(self) -> Entries:
        return Entries(LOG)


class Record:
    """Outermost: what arrived, before any check."""

    def wrap(self, app: ASGIApp, route: RouteInfo) -> ASGIApp:
        if route.method != "POST":
            return app

        async def record(scope: Scope, receive: Receive, send: Send) -> None:
            headers = dict(scope["headers"])
            origin = headers.get(b"origin", b"-").decode()
            with_cookie = b"sid=victim" in headers.get(b"cookie", b"")
            LOG.append(f"POST origin={origin} cookie={'yes' if with_cookie else 'no'}")
            await app(scope, receive, send)

        return record


class App(BaseApp):
    async def _wire(self) -> None:
        csrf = CSRF(secret="browser-test-secret-of-32-bytes!", secure=False)
        self._include_middleware(Record(), csrf)
        self._include_endpoint(Start())
        self._include_endpoint(Page())
        self._include_endpoint(Log())
        self._include_endpoint(Transfer(), auth=CookieAuth())


app = App()
