"""The `jero` command line: one subcommand per concept, each a small function."""

from __future__ import annotations

import argparse
import asyncio
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
    _server_arguments(run)
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
    return parser


def _server_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--host", default="127.0.0.1", help="bind address (default: 127.0.0.1)")
    parser.add_argument("--port", type=int, default=8000, help="bind port (default: 8000)")
    parser.add_argument(
        "--loop",
        choices=LOOPS,
        default="auto",
        help="event loop; auto: uvloop when installed, else asyncio (default: auto)",
    )
    parser.add_argument("--http", choices=("auto", "1", "2"), default="auto", help="HTTP version")
    parser.add_argument(
        "--interface",
        choices=INTERFACES,
        default="auto",
        help="granian interface; auto: RSGI for a jero app, ASGI otherwise (default: auto)",
    )
