"""The docs page renders in a real browser: headless Chromium, assets served locally.

Swagger UI's files come from npm (`npm pack swagger-ui-dist`) into a cache directory at
test time; they are never committed. The page, the document and the assets are served
on 127.0.0.1 by a small HTTP server that hands app paths to the in-process TestClient.
Skipped when chromium or npm is missing (CI's .ci/run installs chromium).
"""

from __future__ import annotations

import http.server
import os
import shutil
import subprocess
import tarfile
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from examples import catalog
from jero import Scalar, SwaggerUI
from jero.testing import TestClient
from tests.chromium import CHROMIUM, dump_dom

NPM = shutil.which("npm")
SWAGGER_UI_DIST = "swagger-ui-dist@5"
SCALAR = "@scalar/api-reference@1"

pytestmark = pytest.mark.skipif(
    CHROMIUM is None or NPM is None, reason="needs chromium and npm on PATH"
)


def _npm_package(spec: str, name: str) -> Path:
    """An npm package's files, fetched once with `npm pack` into a cache directory."""
    base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    target = base / "jero-tests" / name
    if (target / "package" / "package.json").exists():
        return target / "package"
    target.mkdir(parents=True, exist_ok=True)
    assert NPM is not None
    try:
        packed = subprocess.run(
            [NPM, "pack", spec, "--silent", "--pack-destination", str(target)],
            capture_output=True,
            text=True,
            timeout=180,
            check=True,
        )
    except (subprocess.SubprocessError, OSError) as error:
        pytest.skip(f"npm could not fetch {spec}: {error}")
    archive = target / packed.stdout.strip().splitlines()[-1]
    with tarfile.open(archive) as tar:
        tar.extractall(target, filter="data")
    archive.unlink()
    return target / "package"


@pytest.fixture(scope="session")
def assets() -> Path:
    """One directory served as /assets/: Swagger UI's dist and Scalar's browser bundle."""
    swagger = _npm_package(SWAGGER_UI_DIST, "swagger-ui-dist")
    scalar = _npm_package(SCALAR, "scalar-api-reference")
    served = swagger.parent.parent / "served-assets"
    served.mkdir(exist_ok=True)
    for link, source in (("swagger", swagger), ("scalar", scalar / "dist" / "browser")):
        if not (served / link).exists():
            (served / link).symlink_to(source, target_is_directory=True)
    return served


class _Bridge(http.server.BaseHTTPRequestHandler):
    """`/assets/<file>` from disk; every other GET goes to the app through TestClient."""

    client: TestClient
    assets: Path
    lock: threading.Lock

    def do_GET(self) -> None:
        if self.path.startswith("/assets/"):
            file = self.assets / self.path.removeprefix("/assets/").split("?")[0]
            if file.is_file() and ".." not in file.parts:
                kind = "text/css" if file.suffix == ".css" else "text/javascript"
                self._answer(200, kind, file.read_bytes())
            else:
                self._answer(404, "text/plain", b"no such asset")
            return
        with self.lock:
            response = self.client.get(self.path)
        self._answer(response.status_code, response.headers["content-type"], response.content)

    def _answer(self, status: int, content_type: str, body: bytes) -> None:
        self.send_response(status)
        self.send_header("content-type", content_type)
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def serve_app(assets: Path) -> Iterator[Any]:
    servers: list[http.server.ThreadingHTTPServer] = []
    clients: list[TestClient] = []

    def serve(app: Any) -> str:
        client = TestClient(app)
        client.__enter__()
        clients.append(client)
        handler = type(
            "Bridge",
            (_Bridge,),
            {"client": client, "assets": assets, "lock": threading.Lock()},
        )
        server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        servers.append(server)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        return f"http://127.0.0.1:{server.server_address[1]}"

    yield serve
    for server in servers:
        server.shutdown()
        server.server_close()
    for client in clients:
        client.__exit__(None, None, None)


def _rendered_dom(url: str, tmp_path: Path) -> str:
    return dump_dom(url, tmp_path / "chromium-profile", budget_ms=20000)


def test_swagger_ui_renders_every_operation(serve_app: Any, tmp_path: Path) -> None:
    docs = SwaggerUI(
        js_url="/assets/swagger/swagger-ui-bundle.js", css_url="/assets/swagger/swagger-ui.css"
    )
    dom = _rendered_dom(f"{serve_app(catalog.App(docs))}/docs", tmp_path)
    assert 'class="swagger-ui' in dom
    # Swagger UI lists each operation with its operationId (displayOperationId is on).
    for operation_id in (
        "WidgetResource.create",
        "WidgetResource.read_many",
        "WidgetResource.read_one",
        "WidgetResource.update_partial",
        "WidgetResource.delete",
        "OrderResource.create",
        "OrderResource.read_one",
        "HealthEndpoint.get",
        "LabelEndpoint.get",
        "LabelEndpoint.put",
        "ExportEndpoint.get",
        "ChangesEndpoint.get",
        "PhotoEndpoint.post",
        "DisplayEndpoint.get",
    ):
        assert operation_id in dom
    assert "Fetch a widget" in dom


def test_scalar_renders_the_operations(serve_app: Any, tmp_path: Path) -> None:
    docs = Scalar(js_url="/assets/scalar/standalone.js")
    dom = _rendered_dom(f"{serve_app(catalog.App(docs))}/docs", tmp_path)
    # Scalar names operations by their summary, or their path when they have none.
    for name in ("Add a widget", "List widgets", "Fetch a widget", "/exports/widgets", "/changes"):
        assert name in dom
    assert "/shops/{shop_id}/orders" in dom
