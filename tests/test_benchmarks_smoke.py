"""Smoke test of the benchmark scripts: they run end to end and print every app.

Only exit codes and the table's columns are asserted, never a timing: the numbers
depend on the machine. Apps whose module does not import (jero before its core
exists) are reported as skipped by the scripts and are not expected in the table.
"""

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parent.parent
# The apps of benchmarks/apps/__init__.py, in their column order.
APP_NAMES = ("raw", "jero", "blacksheep", "litestar", "fastapi")


def run_module(module: str, *args: str, timeout: float = 240.0) -> str:
    pythonpath = [str(REPO_ROOT), *filter(None, [os.environ.get("PYTHONPATH")])]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(pythonpath)}
    done = subprocess.run(
        [sys.executable, "-m", module, *args],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    assert done.returncode == 0, f"{module} {args} failed:\n{done.stdout}\n{done.stderr}"
    return done.stdout


def expected_apps(output: str) -> list[str]:
    skipped = set(re.findall(r"^skipping (\w+): ", output, re.MULTILINE))
    names = [name for name in APP_NAMES if name not in skipped]
    assert "raw" in names, "the raw ASGI app must always run"
    return names


def table_header(output: str) -> list[str]:
    headers = [line.split() for line in output.splitlines() if line.startswith("scenario ")]
    assert headers, f"no table in the output:\n{output}"
    return headers[-1][1:]


def test_inproc_quick_prints_every_importable_app() -> None:
    output = run_module("benchmarks.inproc", "--quick")
    assert table_header(output) == expected_apps(output)
    for row in ("ping", "path+query", "post json", "path+query @1000 routes"):
        assert any(line.startswith(row) for line in output.splitlines()), row


@pytest.mark.parametrize("mode", ["--wiring", "--memory"])
def test_inproc_other_modes_run(mode: str) -> None:
    output = run_module("benchmarks.inproc", mode, "--quick", "--apps", "raw")
    assert "raw" in output


@pytest.mark.skipif(
    shutil.which("wrk") is None, reason="wrk is not installed (apt-get install wrk)"
)
def test_http_quick_prints_every_importable_app() -> None:
    output = run_module("benchmarks.http", "--quick")
    header = table_header(output)
    assert header == expected_apps(output)


def test_static_memory_runs_both_send_paths() -> None:
    output = run_module("benchmarks.static_memory", "--size-mib", "8")
    for row in ("in-process GET", "granian GET whole file (pathsend)", "granian GET Range"):
        assert any(line.startswith(row) for line in output.splitlines()), (row, output)
