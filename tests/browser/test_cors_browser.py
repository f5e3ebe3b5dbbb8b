"""CORS in a real browser: a page served on one loopback port fetches the API, served
by granian on another, in headless Chromium. The fetch is a PATCH with a JSON body and a
custom header, so the browser sends a preflight first. From the allowed origin the page
reads the answer (and an exposed header); from another origin it sees a CORS failure.
Skipped when chromium is missing (CI's .ci/run installs it)."""

from __future__ import annotations

import http.server
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.chromium import CHROMIUM, dump_dom, page_server
from tests.granian_server import granian

pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="needs chromium on PATH")

PAGE = """<!doctype html>
<html><body><pre id="result">pending</pre>
<script>
(async () => {
  const out = {};
  try {
    const response = await fetch("%(api)s/widgets/7", {
      method: "PATCH",
      headers: {"content-type": "application/json", "x-trace-id": "t-1"},
      body: JSON.stringify({id: 7, name: "bolt"}),
    });
    out.status = response.status;
    out.body = await response.json();
    out.requestId = response.headers.get("x-request-id");
  } catch (error) {
    out.error = error.name + ": " + error.message;
  }
  document.getElementById("result").textContent = JSON.stringify(out);
})();
</script></body></html>
"""


@pytest.fixture
def pages() -> Iterator[list[tuple[http.server.ThreadingHTTPServer, str]]]:
    made: list[tuple[http.server.ThreadingHTTPServer, str]] = []
    yield made
    for server, _ in made:
        server.shutdown()
        server.server_close()


def _result_in_browser(url: str, profile: Path) -> dict[str, Any]:
    dom = dump_dom(url, profile, budget_ms=10000)
    found = re.search(r'<pre id="result">(.*?)</pre>', dom, re.DOTALL)
    assert found is not None, dom[-2000:]
    text = found.group(1).replace("&quot;", '"').replace("&amp;", "&")
    assert text != "pending", "the page's fetch did not finish"
    return json.loads(text)


def test_a_page_on_another_port_fetches_the_api_only_from_an_allowed_origin(
    pages: list[tuple[http.server.ThreadingHTTPServer, str]], tmp_path: Path
) -> None:
    # The API needs the pages' origin and the pages need the API's URL: bind the page
    # servers first, fill their page in once granian listens.
    page: dict[str, bytes] = {}
    allowed_server, allowed = page_server(page)
    other_server, other = page_server(page)
    pages.extend([(allowed_server, allowed), (other_server, other)])
    env = {"JERO_TEST_ALLOWED_ORIGIN": allowed}
    with granian("tests.cors_browser_app:app", env=env) as server:
        page["html"] = (PAGE % {"api": server.url}).encode()
        granted = _result_in_browser(allowed, tmp_path / "profile-allowed")
        refused = _result_in_browser(other, tmp_path / "profile-other")
        # What the API answered the refused page's preflight, asked directly.
        preflight = httpx.options(
            f"{server.url}/widgets/7",
            headers={"origin": other, "access-control-request-method": "PATCH"},
        )
    assert granted["status"] == 200, granted
    assert granted["body"] == {"id": 7, "name": "bolt"}
    assert re.fullmatch(r"[0-9a-f]{32}", granted["requestId"]), granted
    assert "body" not in refused
    assert refused["error"] == "TypeError: Failed to fetch", refused
    assert preflight.status_code == 403
    assert preflight.json()["type"] == "cors-preflight-refused"
