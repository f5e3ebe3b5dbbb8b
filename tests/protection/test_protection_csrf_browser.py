"""CSRF in a real browser. The API (granian) and a hostile page (another port of the same
host: another origin, the same site, so the browser does attach the API's cookies) are
loaded in headless Chromium. The hostile page first gets the victim's cookie set, then
forges a POST the way a form would (no-cors), then tries to replay the token it can
read from the shared cookie jar in a header (which needs a CORS preflight). Neither
reaches the handler. The API's own page, doing the same with its token, succeeds.
Skipped when chromium is missing (CI's .ci/run installs it)."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.chromium import CHROMIUM, dump_dom, page_server
from tests.granian_server import granian

pytestmark = [
    pytest.mark.skipif(CHROMIUM is None, reason="needs chromium on PATH"),
    pytest.mark.browser,
    pytest.mark.server,
]

HOSTILE = """<!doctype html>
<html><body><pre id="result">pending</pre>
<script>
(async () => {
  const out = {};
  const api = "%(api)s";
  try {
    await fetch(api + "/start", {credentials: "include", mode: "no-cors"});
    const forged = await fetch(api + "/transfer", {
      method: "POST", credentials: "include", mode: "no-cors",
      headers: {"content-type": "application/x-www-form-urlencoded"}, body: "amount=1000",
    });
    out.forged = forged.type;
  } catch (error) {
    out.forged = error.name;
  }
  try {
    const token = (document.cookie.split("; ").find(c => c.startsWith("csrf_token=")) || "=")
      .split("=")[1];
    out.sawToken = token.length > 0;
    await fetch(api + "/transfer", {
      method: "POST", credentials: "include", headers: {"x-csrf-token": token},
    });
    out.replayed = "sent";
  } catch (error) {
    out.replayed = error.name + ": " + error.message;
  }
  document.getElementById("result").textContent = JSON.stringify(out);
})();
</script></body></html>
"""


@pytest.fixture
def hostile_page() -> Iterator[tuple[dict[str, bytes], str]]:
    page: dict[str, bytes] = {}
    server, url = page_server(page)
    try:
        yield page, url
    finally:
        server.shutdown()
        server.server_close()


def result_of(url: str, profile: Path) -> dict[str, Any]:
    dom = dump_dom(url, profile, budget_ms=10000)
    found = re.search(r'<pre id="result">(.*?)</pre>', dom, re.DOTALL)
    assert found is not None, dom[-2000:]
    text = found.group(1).replace("&quot;", '"').replace("&amp;", "&")
    assert text != "pending", "the page's script did not finish"
    return json.loads(text)


def test_a_forged_post_from_another_origin_never_reaches_the_handler(
    hostile_page: tuple[dict[str, bytes], str], tmp_path: Path
) -> None:
    page, hostile = hostile_page
    with granian("tests.protection.csrf_browser_app:app") as server:
        page["html"] = (HOSTILE % {"api": server.url}).encode()
        attack = result_of(hostile, tmp_path / "profile-hostile")
        after_attack = httpx.get(f"{server.url}/log").json()["entries"]
        own = result_of(f"{server.url}/page", tmp_path / "profile-own")
        after_own = httpx.get(f"{server.url}/log").json()["entries"]
    # The forged POST arrived with the victim's cookie, from the hostile origin: refused.
    assert attack["forged"] == "opaque", attack
    assert after_attack == [f"POST origin={hostile} cookie=yes"], after_attack
    # The replay needed a preflight the API does not grant: the POST was never sent.
    assert attack["replayed"] == "TypeError: Failed to fetch", attack
    # The API's own page, same cookies, with its token: handled.
    assert own == {"status": 200, "body": "moved for victim"}, own
    assert after_own[1:] == [f"POST origin={server.url} cookie=yes", "handled"], after_own
