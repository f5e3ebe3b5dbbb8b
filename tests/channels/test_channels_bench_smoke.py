"""benchmarks/channels_fanout.py at smoke size: it runs end to end on every backend and
every subscriber gets every item (only counts are asserted, never a timing)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = [pytest.mark.bench, pytest.mark.server]

ROOT = Path(__file__).resolve().parent.parent.parent


def test_the_fanout_benchmark_delivers_every_item_on_every_backend() -> None:
    subscribers, burst, paced = 20, 10, 5
    command = [sys.executable, "-m", "benchmarks.channels_fanout", "--subscribers"]
    command += [str(subscribers), "--burst", str(burst), "--paced", str(paced)]
    done = subprocess.run(
        [*command, "--interval", "0.005"],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    rows = {line.split()[0]: line.split() for line in done.stdout.splitlines()[2:]}
    assert set(rows) == {"memory", "redis", "postgres"}
    for row in rows.values():
        delivered, dropped = row[-2:]
        assert (delivered, dropped) == (str(subscribers * (burst + paced)), "0")
