"""`jero run`'s protective settings, and what it does to its own processes: enough file
descriptors for the connections it allows, and workers that cannot outlive the main
process. (No granian import here: the parser reads the defaults.)"""

from __future__ import annotations

import ctypes
import ctypes.util
import dataclasses
import logging
import os
import signal
import sys

logger = logging.getLogger("jero")


@dataclasses.dataclass(frozen=True, slots=True)
class Protection:
    """The server settings that bound what slow or idle clients can hold."""

    backlog: int = 2048
    """Connections the kernel queues before the workers accept them."""
    max_connections: int = 4096
    """Connections one worker serves at once (granian's backpressure): an idle or
    dripping connection holds one of them until it ends or times out."""
    header_timeout: float = 10.0
    """Seconds a connection may take to send a request's head over HTTP/1, the idle time
    of a kept-alive connection before its next request included; then it is closed."""
    keep_alive: bool = True
    """HTTP/1 keep-alive (HTTP/2 pings idle connections every `header_timeout`)."""
    respawn: bool = True
    """Replace a worker that died (a crash loop still stops the server)."""
    kill_timeout: float = 30.0
    """Seconds a stopping worker gets to finish (drain, shutdown) before it is killed."""


_SPARE_FILES = 256
"""Descriptors a worker needs besides its connections: the app's files, pools, logs."""
_PR_SET_PDEATHSIG = 1


def raise_open_files_limit(connections: int) -> None:
    """Raise the soft RLIMIT_NOFILE (inherited by the workers) so that `connections` fit,
    up to the hard limit; say so when even that is too low."""
    try:
        import resource
    except ImportError:  # not on this platform
        return
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    wanted = connections + _SPARE_FILES
    if soft != resource.RLIM_INFINITY and soft < wanted:
        target = wanted if hard == resource.RLIM_INFINITY else min(wanted, hard)
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
        except (ValueError, OSError):
            target = soft
        if target < wanted:
            logger.warning(
                "open files limit %d is below the %d that --max-connections %d needs; "
                "raise it (ulimit -n) or lower --max-connections",
                target,
                wanted,
                connections,
            )


def die_with_parent(parent: int) -> None:
    """Ask Linux to SIGTERM this process when the one that spawned it dies, so a worker
    never serves on after its main process was SIGKILLed; if that already happened,
    end now. Elsewhere a no-op."""
    if not sys.platform.startswith("linux"):
        return
    libc = ctypes.CDLL(ctypes.util.find_library("c"), use_errno=True)
    if libc.prctl(_PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0) != 0:
        logger.warning("could not tie worker %d to its main process", os.getpid())
        return
    if os.getppid() != parent:  # the parent died before the request took effect
        os.kill(os.getpid(), signal.SIGTERM)
