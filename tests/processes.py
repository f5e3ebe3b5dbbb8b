"""Every process a test starts goes through here, so none outlives the suite.

`spawn` starts a command in a session of its own (its own process group), remembers the
group, and `stop` ends the whole group: granian's workers, `jero run`'s server and
anything else the command forked die with it. `survivors()` lists the groups that still
have a live member; the suite's session-end check fails the run when there is one.
Nothing here imports pytest: benchmark scripts use it too.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import IO, Any

STOP_SECONDS = 10.0

_groups: dict[int, str] = {}
"""Process-group id → the command that started it, for every group `spawn` created."""


def spawn(
    command: Sequence[str],
    *,
    cwd: Path | str | None = None,
    env: Mapping[str, str] | None = None,
    stdout: IO[bytes] | int | None = None,
    stderr: IO[bytes] | int | None = subprocess.STDOUT,
    **options: Any,
) -> subprocess.Popen[bytes]:
    """`subprocess.Popen(command)` in a new session whose whole group `stop` ends."""
    process = subprocess.Popen(
        list(command),
        cwd=cwd,
        env=None if env is None else {**os.environ, **env},
        stdout=stdout,
        stderr=stderr,
        start_new_session=True,
        **options,
    )
    _groups[process.pid] = " ".join(command)
    return process


def stop(
    process: subprocess.Popen[Any], signum: int = signal.SIGTERM, seconds: float = STOP_SECONDS
) -> int | None:
    """Send `signum` to the process's whole group, wait up to `seconds`, then SIGKILL the
    group; returns the leader's exit status. Safe to call on an already stopped process."""
    group = process.pid
    _signal_group(group, signum)
    try:
        process.wait(timeout=seconds)
    except subprocess.TimeoutExpired:
        _signal_group(group, signal.SIGKILL)
        process.wait(timeout=seconds)
    # The leader is gone; members it forked may linger a moment (or ignore the signal).
    deadline = time.monotonic() + seconds
    while _group_alive(group) and time.monotonic() < deadline:
        time.sleep(0.02)
    if _group_alive(group):
        _signal_group(group, signal.SIGKILL)
        while _group_alive(group) and time.monotonic() < deadline + seconds:
            time.sleep(0.02)
    if not _group_alive(group):
        _groups.pop(group, None)
    return process.returncode


def survivors() -> list[str]:
    """The commands whose process group still has a live member."""
    return [command for group, command in list(_groups.items()) if _group_alive(group)]


def _signal_group(group: int, signum: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(group, signum)


def _group_alive(group: int) -> bool:
    """Whether any process (zombies aside) is still in `group`."""
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        # After the command's ")": state, ppid, pgrp.
        if int(fields[2]) == group and fields[0] != "Z":
            return True
    return False
