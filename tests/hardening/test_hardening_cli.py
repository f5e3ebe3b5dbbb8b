"""`jero run` as an operator meets it: a busy port is one line and status 2, and the
protective server settings reach granian with their safe defaults."""

from __future__ import annotations

import socket

import pytest

from tests.cli_support import jero

pytestmark = pytest.mark.server

APP = "tests.cli_apps:app"


def test_run_on_a_busy_port_is_one_line_and_status_2() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = jero("run", APP, "--port", str(port), env={"RUST_BACKTRACE": "1"})
    assert result.returncode == 2
    assert result.stderr.splitlines() == [
        f"jero run: error: cannot listen on 127.0.0.1:{port}: Address already in use"
    ]
    assert "backtrace" not in result.stdout + result.stderr
