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

REPO_ROOT = Path(__file__).resolve().parents[2]
# The apps of benchmarks/apps/__init__.py, in their column order, then the servers outside
# Python (benchmarks/servers.py), which are skipped with a message where go / bun are absent.
APP_NAMES = ("raw", "jero", "jero-0.1.9", "blacksheep", "litestar", "fastapi")
HTTP_APP_NAMES = (
    "raw", "raw-rsgi", "jero", "jero-rsgi", "jero-0.1.9",
    "blacksheep", "litestar", "fastapi", "go", "bun",
)  # fmt: skip


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


def expected_apps(output: str, candidates: tuple[str, ...] = APP_NAMES) -> list[str]:
    skipped = set(re.findall(r"^skipping ([\w.-]+): ", output, re.MULTILINE))
    names = [name for name in candidates if name not in skipped]
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


@pytest.mark.parametrize("mode", ["--wiring", "--memory", "--middleware", "--telemetry"])
def test_inproc_other_modes_run(mode: str) -> None:
    output = run_module("benchmarks.inproc", mode, "--quick", "--apps", "raw")
    assert "raw" in output


def http_tables(output: str) -> dict[str, tuple[list[str], list[list[str]]]]:
    """benchmarks.http's tables: scenario -> (header cells, rows of cells)."""
    tables: dict[str, tuple[list[str], list[list[str]]]] = {}
    for block in re.findall(r"^scenario: (.+?) \(.*?\)\n(.*?)(?:\n\n|\Z)", output, re.M | re.S):
        name, grid = block
        header, *rows = [re.split(r"\s{2,}", line.strip()) for line in grid.splitlines()]
        tables[name] = (header, rows)
    assert tables, f"no table in the output:\n{output}"
    return tables


def columns(workers: str) -> list[str]:
    return [f"req/s {workers}", "p50", "p99", "x raw", "cpu us"]


needs_wrk = pytest.mark.skipif(
    shutil.which("wrk") is None, reason="wrk is not installed (apt-get install wrk)"
)


@needs_wrk
def test_rsgi_inproc_checks_and_times_both_interfaces() -> None:
    output = run_module(
        "benchmarks.rsgi_inproc", "--requests", "50", "--rounds", "1", "--warmup", "5"
    )
    assert "scenario     raw          jero      raw-rsgi     jero-rsgi" in output
    for scenario in ("ping", "path+query", "post json"):
        assert f"jero-rsgi / raw-rsgi, {scenario}: " in output


def test_instructions_counts_a_worker_under_callgrind() -> None:
    output = run_module(
        "benchmarks.instructions", "--apps", "jero-rsgi", "--scenarios", "ping",
        "--few", "2", "--many", "6",
    )  # fmt: skip
    if "valgrind is not installed" in output:
        assert os.environ.get("CI") != "true", "valgrind is part of CI's machine"
        return
    row = next(line for line in output.splitlines() if line.startswith("ping"))
    assert int(row.removeprefix("ping").strip().replace(",", "")) > 1000


def test_http_quick_prints_every_importable_app() -> None:
    output = run_module("benchmarks.http", "--quick")
    tables = http_tables(output)
    assert list(tables) == ["ping"]
    header, rows = tables["ping"]
    assert header == ["app", *columns("1w")]
    assert [row[0] for row in rows] == expected_apps(output, HTTP_APP_NAMES)
    for row in rows:
        assert float(row[1].replace(",", "")) > 0, row
        assert all(cell != "-" for cell in row), row


@needs_wrk
def test_http_bigger_scenarios_with_two_workers() -> None:
    """The 1,000-item list and the 1 MB POST with 2 workers (the test above runs 1), Go and
    Bun if present."""
    output = run_module(
        "benchmarks.http", "--quick", "--apps", "raw,jero,go,bun",
        "--scenarios", "list,bulk", "--workers", "2",
    )  # fmt: skip
    tables = http_tables(output)
    assert list(tables) == ["list 1000", "post 1MB"]
    names = expected_apps(output, ("raw", "jero", "go", "bun"))
    for header, rows in tables.values():
        assert header == ["app", *columns("2w")]
        assert [row[0] for row in rows] == names
        assert all("-" not in row for row in rows), rows


def test_static_memory_runs_both_send_paths() -> None:
    output = run_module("benchmarks.static_memory", "--size-mib", "8")
    for row in ("in-process GET", "granian GET whole file (pathsend)", "granian GET Range"):
        assert any(line.startswith(row) for line in output.splitlines()), (row, output)
