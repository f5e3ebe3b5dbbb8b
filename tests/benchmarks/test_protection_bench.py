"""Smoke run of benchmarks/protection.py: every row prints (no timing is asserted)."""

from __future__ import annotations

import pytest

from tests.benchmarks.test_benchmarks_smoke import run_module

pytestmark = [pytest.mark.bench, pytest.mark.server]


def test_protection_benchmark_prints_every_route() -> None:
    output = run_module("benchmarks.protection", "--quick")
    lines = output.splitlines()
    assert lines[0].split() == ["route", "us/req", "added", "us"]
    names = [line[:24].strip() for line in lines[1:5]]
    assert names == ["no limit", "limit, memory", "limit, redis", "proxies+hosts+headers"]
    for line in lines[1:5]:
        cells = line[24:].split()
        assert cells[0] == "-" or float(cells[0]) > 0, line
