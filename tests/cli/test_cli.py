"""`jero routes`, `jero openapi`, `jero check` and bad targets, each run as a subprocess."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import msgspec
import pytest
import yaml

from jero._cli import main
from jero.testing import TestClient
from tests.cli_apps import App
from tests.cli_support import jero
from tests.granian_server import ROOT

APP = "tests.cli_apps:app"

ROUTES_TABLE = """\
METHOD  PATH                  HANDLER                  AUTH                           STATUS
POST    /widgets              WidgetResource.create    -                              201
GET     /widgets/{widget_id}  WidgetResource.read_one  -                              200
DELETE  /widgets/{widget_id}  WidgetResource.delete    -                              200, 204
GET     /me                   MeEndpoint.get           ApiKeyAuth                     200
GET     /greeting             GreetingEndpoint.get     OptionalApiKeyAuth (optional)  200
GET     /loop                 LoopEndpoint.get         -                              200
GET     /openapi.json         OpenAPIDocument.get      -                              200
GET     /docs                 OpenAPIDocsPage.get      -                              200
"""


def served_document() -> bytes:
    with TestClient(App()) as client:
        return client.get("/openapi.json").content


# --- routes ------------------------------------------------------------------------


def test_routes_prints_the_table_of_the_wired_router() -> None:
    result = jero("routes", APP)
    assert (result.returncode, result.stderr) == (0, "")
    assert result.stdout == ROUTES_TABLE


def test_routes_of_a_factory_calls_it() -> None:
    result = jero("routes", "tests.cli_apps:create_app()")
    assert (result.returncode, result.stdout) == (0, ROUTES_TABLE)


def test_routes_of_the_quickstart_through_the_installed_script() -> None:
    script = Path(sys.executable).with_name("jero")
    result = subprocess.run(
        [script, "routes", "examples.quickstart:app"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert (result.returncode, result.stderr) == (0, "")
    assert result.stdout == (
        "METHOD  PATH                  HANDLER                  AUTH  STATUS\n"
        "GET     /widgets/{widget_id}  WidgetResource.read_one  -     200\n"
    )


def test_routes_of_an_app_whose_startup_fails_is_one_line_and_status_1() -> None:
    result = jero("routes", "tests.cli_apps:crashing_app")
    assert result.returncode == 1
    assert result.stdout == ""
    assert result.stderr == "jero routes: startup failed: RuntimeError: the database is not there\n"


# --- openapi -------------------------------------------------------------------------


def test_openapi_writes_the_served_document_as_indented_json() -> None:
    result = jero("openapi", APP)
    assert (result.returncode, result.stderr) == (0, "")
    served = served_document()
    assert result.stdout.encode() == msgspec.json.format(served, indent=2) + b"\n"
    assert msgspec.json.decode(result.stdout) == msgspec.json.decode(served)


def test_openapi_output_file(tmp_path: Path) -> None:
    target = tmp_path / "openapi.json"
    result = jero("openapi", APP, "-o", str(target))
    assert (result.returncode, result.stdout, result.stderr) == (0, "", "")
    assert msgspec.json.decode(target.read_bytes()) == msgspec.json.decode(served_document())


def test_openapi_yaml_is_the_same_document(tmp_path: Path) -> None:
    target = tmp_path / "openapi.yaml"
    result = jero("openapi", APP, "--yaml", "--output", str(target))
    assert (result.returncode, result.stderr) == (0, "")
    text = target.read_text()
    assert text.startswith("openapi: 3.1.0\ninfo:\n  title: CLI test app\n  version: 1.2.3\n")
    assert yaml.safe_load(text) == msgspec.json.decode(served_document())


def test_openapi_yaml_without_pyyaml_says_what_to_install(tmp_path: Path) -> None:
    blocker = tmp_path / "yaml"
    blocker.mkdir()
    (blocker / "__init__.py").write_text("raise ImportError('PyYAML is not installed')\n")
    result = jero("openapi", APP, "--yaml", env={"PYTHONPATH": str(tmp_path)})
    assert (result.returncode, result.stdout) == (2, "")
    assert result.stderr == "jero openapi: error: --yaml needs PyYAML; install it (jero[yaml])\n"


def test_openapi_of_an_app_without_openapi_is_an_error() -> None:
    result = jero("openapi", "tests.cli_apps:bare_app")
    assert (result.returncode, result.stdout) == (2, "")
    assert result.stderr == (
        "jero openapi: error: BareApp does not include OpenAPI; call "
        "self._include_openapi(title=..., version=...) in its _wire\n"
    )


# --- check ---------------------------------------------------------------------------


def test_check_of_a_sound_app_exits_0() -> None:
    result = jero("check", APP)
    assert (result.returncode, result.stderr) == (0, "")
    assert result.stdout == "tests.cli_apps:app: 8 routes wired, no errors\n"


def test_check_reports_every_wiring_error_and_exits_1() -> None:
    result = jero("check", "tests.cli_apps:broken_app")
    assert (result.returncode, result.stdout) == (1, "")
    assert result.stderr.splitlines() == [
        "WiringError: SyncHandlerEndpoint.get must be `async def`; run blocking work inside "
        "it with `await anyio.to_thread.run_sync(fn, *args)`",
        "WiringError: UnannotatedEndpoint.get has no return annotation; annotate what it "
        "returns, e.g. -> Widget, or -> NoContent for a 204",
        "2 wiring errors",
    ]


def test_check_of_a_crashing_wire_prints_its_traceback_and_exits_1() -> None:
    result = jero("check", "tests.cli_apps:crashing_app")
    assert (result.returncode, result.stdout) == (1, "")
    lines = result.stderr.splitlines()
    assert lines[0] == "Traceback (most recent call last):"
    assert 'raise RuntimeError("the database is not there")' in result.stderr
    assert lines[-1] == "RuntimeError: the database is not there"


# --- bad targets -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("target", "message"),
    [
        ("no_such_module:app", "cannot import 'no_such_module': no module named 'no_such_module'"),
        (
            "tests.no_such_module:app",
            "cannot import 'tests.no_such_module': no module named 'tests.no_such_module'",
        ),
        ("nopkg.sub:app", "cannot import 'nopkg.sub': no module named 'nopkg'"),
        ("tests.cli_apps:no_such_app", "module 'tests.cli_apps' has no attribute 'no_such_app'"),
        ("tests.cli_apps:App.missing", "module 'tests.cli_apps' has no attribute 'App.missing'"),
        (
            "tests.cli_apps:not_an_app",
            "tests.cli_apps:not_an_app is not an ASGI app: it is of type int",
        ),
        (
            "tests.cli_apps:not_an_app()",
            "tests.cli_apps:not_an_app() cannot be called: it is of type int",
        ),
        ("tests.cli_apps:App", "tests.cli_apps:App is not a jero BaseApp: it is of type type"),
        (
            "tests/cli_apps.py",
            "invalid app target 'tests/cli_apps.py': expected module:attribute or module:factory()",
        ),
    ],
)
def test_a_bad_target_is_one_line_and_status_2(
    target: str, message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    # In-process, for speed: `main` is what the script runs; the subprocess tests below
    # show the same line reaches a real process's stderr.
    assert main(["check", target]) == 2
    assert capsys.readouterr() == ("", f"jero check: error: {message}\n")


@pytest.mark.parametrize("command", ["routes", "openapi", "check"])
def test_every_inspecting_command_reports_a_bad_target_alike(command: str) -> None:
    result = jero(command, "tests.cli_apps:no_such_app")
    assert (result.returncode, result.stdout) == (2, "")
    assert result.stderr == (
        f"jero {command}: error: module 'tests.cli_apps' has no attribute 'no_such_app'\n"
    )


def test_a_module_whose_own_import_fails_shows_the_real_traceback(tmp_path: Path) -> None:
    (tmp_path / "needs_missing.py").write_text("import not_installed_dependency_xyz\n")
    result = jero("check", "needs_missing:app", cwd=tmp_path)
    assert result.returncode == 1
    assert "Traceback (most recent call last):" in result.stderr
    assert result.stderr.splitlines()[-1] == (
        "ModuleNotFoundError: No module named 'not_installed_dependency_xyz'"
    )


def test_no_command_is_a_usage_error() -> None:
    result = jero()
    assert result.returncode == 2
    assert result.stderr.startswith("usage: jero [-h] COMMAND ...")
