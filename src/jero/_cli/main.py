"""The `jero` command line: one subcommand per concept, each a small function."""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import sys
import typing
from collections.abc import Callable, Sequence
from pathlib import Path

from . import check, openapi, routes
from .errors import CommandError
from .interface import INTERFACES
from .lifespan import LifespanFailed
from .target import Target, load_jero_app, parse_target

if typing.TYPE_CHECKING:
    from .protection import Protection
    from .serve import ServeOptions

EXIT_USAGE = 2
LOOPS = ("auto", "asyncio", "uvloop", "rloop")
LOG_LEVELS = ("critical", "error", "warning", "info", "debug")


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command; the return value is the process exit status."""
    parser = _parser()
    args = parser.parse_args(argv)
    command: Callable[[argparse.Namespace], int] = args.command
    try:
        return command(args)
    except CommandError as error:
        print(f"jero {args.name}: error: {error}", file=sys.stderr)
        return EXIT_USAGE
    except LifespanFailed as failure:
        print(f"jero {args.name}: {failure.phase} failed: {failure.message}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130


# --- commands ----------------------------------------------------------------------


# granian is imported by the two serving commands only: the others start faster.


def _run(args: argparse.Namespace) -> int:
    from . import serve

    serve.run(_target(args), _serve_options(args, workers=args.workers))
    return 0


def _dev(args: argparse.Namespace) -> int:
    from . import serve

    options = _serve_options(args, workers=1, log_level="debug", access_log=True)
    serve.dev(_target(args), options)
    return 0


def _routes(args: argparse.Namespace) -> int:
    app = load_jero_app(_target(args))
    rows = asyncio.run(routes.wired_routes(app))
    sys.stdout.write(routes.render_table(rows))
    return 0


def _openapi(args: argparse.Namespace) -> int:
    dump = openapi.yaml_dumper() if args.yaml else None
    if args.yaml and dump is None:
        raise CommandError("--yaml needs PyYAML; install it (jero[yaml])")
    app = load_jero_app(_target(args))
    try:
        document = asyncio.run(openapi.served_document(app))
    except openapi.NoDocumentError as error:
        raise CommandError(str(error)) from None
    encoded = openapi.as_json(document) if dump is None else openapi.as_yaml(document, dump)
    if args.output is None:
        sys.stdout.buffer.write(encoded)
    else:
        args.output.write_bytes(encoded)
    return 0


def _check(args: argparse.Namespace) -> int:
    target = _target(args)
    result = asyncio.run(check.check_app(load_jero_app(target)))
    for line in check.report_lines(result):
        print(line, file=sys.stderr)
    if not result.ok:
        return 1
    print(f"{target}: {result.routes} route{'' if result.routes == 1 else 's'} wired, no errors")
    return 0


def _worker(args: argparse.Namespace) -> int:
    from .worker import run_worker

    logging.basicConfig(level=args.log_level.upper(), format="%(levelname)s %(name)s: %(message)s")
    target = _target(args)
    run_worker(load_jero_app(target), str(target), args.concurrency)
    return 0


# --- arguments ---------------------------------------------------------------------


def _target(args: argparse.Namespace) -> Target:
    return parse_target(args.app)


def _serve_options(
    args: argparse.Namespace,
    *,
    workers: int,
    log_level: str | None = None,
    access_log: bool | None = None,
) -> ServeOptions:
    from .serve import ServeOptions

    return ServeOptions(
        host=args.host,
        port=args.port,
        uds=getattr(args, "uds", None),
        workers=workers,
        loop=args.loop,
        http=args.http,
        log_level=log_level or args.log_level,
        access_log=args.access_log if access_log is None else access_log,
        ssl_certificate=getattr(args, "ssl_certificate", None),
        ssl_keyfile=getattr(args, "ssl_keyfile", None),
        reload_paths=getattr(args, "reload_dir", None) or (),
        protection=_protection(args) if hasattr(args, "max_connections") else None,
        interface=args.interface,
    )


def _workers(text: str) -> int:
    """A worker count; `0` or `auto` is one per CPU core."""
    if text == "auto":
        return _cpu_workers()
    try:
        count = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number or 'auto': {text!r}") from None
    if count < 0:
        raise argparse.ArgumentTypeError("must be 0 (one per core), auto, or more")
    return count or _cpu_workers()


def _cpu_workers() -> int:
    """One worker per CPU core this process may use."""
    return os.process_cpu_count() or 1


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="jero", description="Serve, inspect and check jero apps.")
    commands = parser.add_subparsers(title="commands", required=True, metavar="COMMAND")

    def command(name: str, handler: Callable[[argparse.Namespace], int], help: str):
        sub = commands.add_parser(name, help=help, description=help)
        sub.set_defaults(command=handler, name=name)
        sub.add_argument(
            "app", metavar="module:app", help="the app, or a factory: module:create_app()"
        )
        return sub

    run = command("run", _run, "serve the app with granian (production)")
    # HTTP/1 by default: in auto mode granian waits for a connection's first bytes (to
    # tell HTTP/1 from HTTP/2) with no deadline, so a client that sends nothing holds
    # its connection slot for ever, whatever --header-timeout says.
    _server_arguments(run, http="1")
    run.add_argument("--uds", type=Path, help="serve on this Unix domain socket instead")
    run.add_argument(
        "--workers",
        type=_workers,
        default=1,
        help="worker processes; 0 or auto: one per CPU core (default: 1)",
    )
    run.add_argument("--log-level", choices=LOG_LEVELS, default="info")
    run.add_argument("--access-log", action="store_true", help="log every request")
    run.add_argument("--ssl-certificate", type=Path, help="serve HTTPS with this certificate")
    run.add_argument("--ssl-keyfile", type=Path, help="the certificate's private key")
    _protection_arguments(run)

    dev = command("dev", _dev, "serve the app for development: reload on changes, debug logs")
    _server_arguments(dev)
    dev.add_argument(
        "--reload-dir",
        type=Path,
        action="append",
        help="a directory to watch for .py changes (repeatable; default: the working directory)",
    )

    command("routes", _routes, "print the table of every wired route")

    export = command("openapi", _openapi, "write the app's OpenAPI document")
    export.add_argument("-o", "--output", type=Path, help="write to this file (default: stdout)")
    export.add_argument("--yaml", action="store_true", help="YAML instead of JSON (needs PyYAML)")

    command("check", _check, "wire the app and report every WiringError (exit status 1)")

    worker = command("worker", _worker, "run the app's durable background jobs (no HTTP)")
    worker.add_argument(
        "--concurrency", type=_positive(int), default=8, help="jobs run at once (default: 8)"
    )
    worker.add_argument("--log-level", choices=LOG_LEVELS, default="info")
    return parser


def _protection_arguments(parser: argparse.ArgumentParser) -> None:
    """The settings that bound what slow, idle or crashing peers can take (`Protection`)."""
    from .protection import Protection

    default = Protection()
    group = parser.add_argument_group("protection")
    group.add_argument(
        "--backlog",
        type=_positive(int),
        default=default.backlog,
        help="connections the kernel queues before a worker accepts them "
        f"(default: {default.backlog})",
    )
    group.add_argument(
        "--max-connections",
        type=_positive(int),
        default=default.max_connections,
        help="connections each worker serves at once; idle and slow ones count "
        f"(default: {default.max_connections})",
    )
    group.add_argument(
        "--header-timeout",
        type=_positive(float),
        default=default.header_timeout,
        help="seconds a connection may take to send a request's headers, idle keep-alive "
        f"time included (default: {default.header_timeout:g})",
    )
    group.add_argument(
        "--no-keep-alive", action="store_true", help="close each HTTP/1 connection after one answer"
    )
    group.add_argument(
        "--no-respawn",
        action="store_true",
        help="stop the server when a worker dies, instead of starting a new one",
    )
    group.add_argument(
        "--worker-kill-timeout",
        type=_positive(float),
        default=default.kill_timeout,
        help="seconds a stopping worker gets to finish before it is killed "
        f"(default: {default.kill_timeout:g})",
    )


def _positive[N: (int, float)](kind: Callable[[str], N]) -> Callable[[str], N]:
    def parse(text: str) -> N:
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
        if not value > 0:
            raise argparse.ArgumentTypeError(f"must be more than 0: {text!r}")
        return value

    return parse


def _protection(args: argparse.Namespace) -> Protection:
    from .protection import Protection

    return Protection(
        backlog=args.backlog,
        max_connections=args.max_connections,
        header_timeout=args.header_timeout,
        keep_alive=not args.no_keep_alive,
        respawn=not args.no_respawn,
        kill_timeout=args.worker_kill_timeout,
    )


def _server_arguments(parser: argparse.ArgumentParser, http: str = "auto") -> None:
    parser.add_argument("--host", default="127.0.0.1", help="bind address (default: 127.0.0.1)")
    parser.add_argument("--port", type=int, default=8000, help="bind port (default: 8000)")
    parser.add_argument(
        "--loop",
        choices=LOOPS,
        default="auto",
        help="event loop; auto: uvloop when installed, else asyncio (default: auto)",
    )
    parser.add_argument(
        "--http",
        choices=("auto", "1", "2"),
        default=http,
        help=f"HTTP version; auto tells HTTP/1 from cleartext HTTP/2 (default: {http})",
    )
    parser.add_argument(
        "--interface",
        choices=INTERFACES,
        default="auto",
        help="granian interface; auto is ASGI; rsgi for a jero app (default: auto)",
    )
