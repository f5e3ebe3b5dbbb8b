"""`jero run` and `jero dev`: the app served by granian, through granian's Python API.

The command's process is granian's main process: it binds the socket, spawns the
workers and handles SIGINT / SIGTERM (a graceful stop, exit status 0) and SIGHUP (a
graceful respawn of the workers) exactly as the `granian` command does. Each worker
imports the target itself, through `load_worker_app`.

`jero run` also sets granian's protective settings to defaults safe in front of the
internet (see `Protection`): granian's own defaults let about a thousand idle or
slow connections take every slot of a worker, and a worker that dies is not replaced.
"""

from __future__ import annotations

import dataclasses
import functools
import importlib.util
import logging
import math
import multiprocessing
import os
import typing
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from granian import Granian
from granian.constants import HTTPModes, Interfaces, Loops
from granian.http import HTTP1Settings, HTTP2Settings
from granian.log import LogLevels
from granian.server.common import AbstractServer

from .errors import CommandError
from .framework import AnyApp, ASGIApp, BaseApp, Message, Receive, Scope, Send, openapi_paths
from .interface import AnnouncingRSGI, choose
from .protection import Protection, die_with_parent, raise_open_files_limit
from .target import Target, import_target, load_app, parse_target

logger = logging.getLogger("jero")


@dataclasses.dataclass(frozen=True, slots=True)
class ServeOptions:
    """What both commands pass to granian; `jero dev` fixes some of them."""

    host: str = "127.0.0.1"
    port: int = 8000
    uds: Path | None = None
    workers: int = 1
    loop: str = "auto"
    http: str = "auto"
    log_level: str = "info"
    access_log: bool = False
    ssl_certificate: Path | None = None
    ssl_keyfile: Path | None = None
    reload_paths: Sequence[Path] = ()
    protection: Protection | None = None
    """None: granian's own settings (`jero dev`)."""
    interface: str = "auto"
    """auto (ASGI), asgi or rsgi (a jero app only); see interface.py."""


def resolve_loop(name: str) -> Loops:
    """`auto` is uvloop when it is installed, else asyncio; a named loop must be installed."""
    if name == "auto":
        return Loops.uvloop if _installed("uvloop") else Loops.asyncio
    if name != "asyncio" and not _installed(name):
        extra = " (the jero[uvloop] extra)" if name == "uvloop" else ""
        raise CommandError(f"--loop {name} needs the {name} package{extra}; install it")
    return Loops(name)


def run(target: Target, options: ServeOptions) -> None:
    """Serve until SIGINT / SIGTERM; a worker that dies is replaced (unless told not to),
    and every worker dies with this process, even when it is SIGKILLed."""
    found = import_target(target)  # a bad target is a one-line error here, not in every worker
    choice = choose(target, found, options.interface)
    if options.protection is not None:
        raise_open_files_limit(options.protection.max_connections)
    loader = functools.partial(load_worker_app, str(target), None, choice.interface, os.getpid())
    server = _server(target, options, reload=False, interface=choice.interface)
    logger.info(choice.line(target))
    try:
        server.serve(target_loader=loader, wrap_loader=False)
    except RuntimeError as error:
        reason = str(error).split("\n", 1)[0].removesuffix(".")
        if "(os error" not in reason:
            raise
        # granian's socket errors carry the Rust backtrace when RUST_BACKTRACE is set.
        where = options.uds or f"{options.host}:{options.port}"
        reason = reason.partition(" (os error")[0]
        raise CommandError(f"cannot listen on {where}: {reason}") from None


def dev(target: Target, options: ServeOptions) -> None:
    """Serve with reload on Python source changes, debug logging and the docs URL."""
    if not _installed("watchfiles"):
        raise CommandError("jero dev reloads with watchfiles; install it (jero[reload])")
    choice = choose(target, import_target(target), options.interface)
    # Workers must import the app afresh on every reload: a forked worker would inherit
    # the modules this process already imported.
    multiprocessing.set_start_method("spawn", force=True)
    loader = functools.partial(load_worker_app, str(target), _base_url(options), choice.interface)
    server = _server(target, options, reload=True, interface=choice.interface)
    logger.info(choice.line(target))
    server.serve(target_loader=loader, wrap_loader=False)


def load_worker_app(
    spec: str, announce_at: str | None, interface: str = "asgi", parent: int | None = None
) -> ASGIApp:
    """Run in each worker: import the app; in dev, log its docs URL once it started.
    With `parent` (the main process's id), the worker is tied to it first."""
    if parent is not None:
        die_with_parent(parent)
    app = load_app(parse_target(spec))
    if interface == "rsgi":
        if not hasattr(app, "__rsgi__"):
            raise CommandError(
                f"{spec} returned a {type(app).__name__}: serve it with --interface asgi"
            )
        if announce_at is not None and isinstance(app, BaseApp):
            return typing.cast(ASGIApp, AnnouncingRSGI(app, announce_at))
        return typing.cast(ASGIApp, app)
    if announce_at is not None and isinstance(app, BaseApp):
        return _announcing_docs(typing.cast(AnyApp, app), announce_at)
    return typing.cast(ASGIApp, app)  # load_app checked that it is callable


def _server(
    target: Target, options: ServeOptions, *, reload: bool, interface: str
) -> AbstractServer[Any]:
    reload_options: dict[str, Any] = {}
    if reload:
        reload_options = {
            "reload": True,
            "reload_paths": list(options.reload_paths) or None,
            "reload_filter": _python_sources_filter(),
            # A broken edit kills the worker; the next edit respawns it.
            "reload_ignore_worker_failure": True,
        }
    protective: dict[str, Any] = {}
    if options.protection is not None:
        protective = _protective_settings(options.protection)
    return Granian(
        str(target),
        address=options.host,
        port=options.port,
        uds=options.uds,
        interface=Interfaces.RSGI if interface == "rsgi" else Interfaces.ASGI,
        workers=options.workers,
        loop=resolve_loop(options.loop),
        http=HTTPModes(options.http),
        log_level=LogLevels(options.log_level),
        log_dictconfig=_logging_config(options.log_level),
        log_access=options.access_log,
        ssl_cert=options.ssl_certificate,
        ssl_key=options.ssl_keyfile,
        **reload_options,
        **protective,
    )


def _protective_settings(protection: Protection) -> dict[str, Any]:
    """granian's arguments for `protection` (its timeouts are whole milliseconds, its
    HTTP/2 ping acknowledgement timeout and kill timeout whole seconds)."""
    header_ms = max(1, round(protection.header_timeout * 1000))
    return {
        "backlog": protection.backlog,
        "backpressure": protection.max_connections,
        "http1_settings": HTTP1Settings(
            header_read_timeout=header_ms, keep_alive=protection.keep_alive
        ),
        "http2_settings": HTTP2Settings(
            keep_alive_interval=header_ms, keep_alive_timeout=max(1, header_ms // 1000)
        ),
        "respawn_failed_workers": protection.respawn,
        "workers_kill_timeout": max(1, math.ceil(protection.kill_timeout)),
    }


def _logging_config(level: str) -> dict[str, Any]:
    """granian's console logging, with the `jero` logger (handler errors) on it too."""
    console = {
        "formatter": "generic",
        "class": "logging.StreamHandler",
        "stream": "ext://sys.stdout",
    }
    access = {"formatter": "access", "class": "logging.StreamHandler", "stream": "ext://sys.stdout"}
    return {
        "formatters": {
            "generic": {"()": "logging.Formatter", "fmt": "[%(levelname)s] %(message)s"},
            "access": {"()": "logging.Formatter", "fmt": "%(message)s"},
        },
        "handlers": {"console": console, "access": access},
        "loggers": {
            "_granian": {"handlers": ["console"], "level": "INFO", "propagate": False},
            "granian.access": {"handlers": ["access"], "level": "INFO", "propagate": False},
            "jero": {"handlers": ["console"], "level": level.upper(), "propagate": False},
        },
    }


def _python_sources_filter() -> Any:
    """A class of our own (granian extends the filter class's ignore lists in place)."""
    import watchfiles

    return type("PythonSources", (watchfiles.PythonFilter,), {})


def _base_url(options: ServeOptions) -> str:
    scheme = "https" if options.ssl_certificate else "http"
    host = {"0.0.0.0": "127.0.0.1", "::": "::1"}.get(options.host, options.host)
    return f"{scheme}://{f'[{host}]' if ':' in host else host}:{options.port}"


def _announcing_docs(app: AnyApp, base_url: str) -> ASGIApp:
    """The app, logging where its docs page is once each startup completed."""

    async def serve(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "lifespan":
            await app(scope, receive, send)
            return

        async def send_then_announce(message: Message) -> None:
            await send(message)
            if message["type"] == "lifespan.startup.complete":
                paths = openapi_paths(app)
                if paths is not None:
                    page = paths.docs_page
                    if page is not None:
                        logger.info("Docs page: %s%s", base_url, page)
                    logger.info("OpenAPI document: %s%s", base_url, paths.document)

        await app(scope, receive, send_then_announce)

    return serve


def _installed(module: str) -> bool:
    return importlib.util.find_spec(module) is not None
