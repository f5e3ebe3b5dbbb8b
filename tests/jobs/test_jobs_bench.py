"""Smoke run of benchmarks/jobs.py: every backend prints its row (no timing asserted)."""

from __future__ import annotations

import subprocess
import sys
import tempfile

import pytest

from tests.granian_server import ROOT, read_log
from tests.processes import spawn, stop

pytestmark = [pytest.mark.bench, pytest.mark.server]


def test_the_jobs_benchmark_prints_a_row_per_backend() -> None:
    command = [sys.executable, "-m", "benchmarks.jobs", "--quick"]
    with tempfile.TemporaryFile() as log:
        process = spawn(command, cwd=ROOT, stdout=log)
        try:
            status = process.wait(timeout=300)
        except subprocess.TimeoutExpired:
            status = None
        finally:
            stop(process)
        output = read_log(log)
    assert status == 0, output
    rows = output.split("backend ", 1)[1].splitlines()[1:]
    assert [row.split()[0] for row in rows] == ["inprocess", "memory", "postgres"], output
    assert all(len(row.split()) == 5 for row in rows), output
