"""Smoke test of benchmarks/stream_memory.py: it runs and prints a row per size.

Asserts the table's shape only, never a timing or a memory figure.
"""

import os
import subprocess
import sys
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]


def test_stream_memory_benchmark_runs() -> None:
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT)}
    done = subprocess.run(
        [sys.executable, "-m", "benchmarks.stream_memory", "--items", "10,2000"],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    header, *rows = done.stdout.splitlines()
    assert header.split()[:3] == ["items", "body", "MiB"]
    assert [row.split()[0] for row in rows] == ["10", "2,000"]
