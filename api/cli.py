"""The `smpkg` command line whole, and its entry point (`main`): the data commands of smpkg.cli
and `smpkg serve`, which runs the service. The command is added here, through smpkg.cli's
`extra`, so that the core package never imports this one; smpkg.cli.main keeps the error
handling and the exit statuses of every command, this one's included."""

from __future__ import annotations

import argparse
import gc
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

from smpkg import cli, forkserver
from smpkg.config import LIMITS, Settings, limit_overrides

from . import create_app

# uvicorn, and with it smpkg.connections, is imported by `serve` only, after the query workers'
# fork server has started: the fork server's imports then run on another core meanwhile, and
# the data commands never pay for it.


def cmd_serve(args) -> int:
    started = time.perf_counter()
    if args.workers <= 1:
        forkserver.start()  # the query workers' imports, on another core meanwhile
    overrides: dict[str, object] = dict(limit_overrides(args))
    if args.dataset:
        overrides["dataset"] = tuple(Path(p).resolve() for p in args.dataset)
    if args.timeout:
        overrides["query_timeout"] = args.timeout
    settings = cli.settings_from(args)  # the environment's, read once
    settings = settings.with_(
        host=args.host or settings.host, port=args.port or settings.port, **overrides
    )
    if not settings.dataset:
        cli.check_cache(settings)
    if args.workers > 1:
        return _serve_workers(settings, args)
    # Start-up allocates some hundred thousand objects that live as long as the process (the
    # modules, the app and its routes): the cyclic collector would walk them again and again
    # while they pile up, a fifth of the import time. It is paused until the app is built,
    # and what start-up made is then frozen out of every later collection.
    gc.disable()
    try:
        import uvicorn  # noqa: PLC0415 - after the fork server's start (above)

        from smpkg.connections import uvicorn_options  # noqa: PLC0415 - imports uvicorn

        app = create_app(settings, progress=cli.progress)
        gc.freeze()
    finally:
        gc.enable()
    cli.progress(
        f"ready in {time.perf_counter() - started:.2f} s; serving "
        f"http://{settings.host}:{settings.port}/sparql"
    )
    uvicorn.run(
        app, host=settings.host, port=settings.port, **uvicorn_options(settings, args.log_level)
    )
    return 0


def _serve_workers(settings: Settings, args) -> int:
    """Several server processes on one port (uvicorn's workers): the build and its on-disk
    store are made here, once; each process then opens them from the cache, with the settings
    handed over as SMPKG_ variables (uvicorn calls `api.create_app` in each, through
    `api.create_app_after_forkserver`)."""
    import uvicorn  # noqa: PLC0415 - the data commands do without it (above)

    from smpkg.connections import uvicorn_options  # noqa: PLC0415 - imports uvicorn
    from smpkg.serving import build_once, prepare_store  # noqa: PLC0415 - imports the build

    settings.check()
    if not settings.dataset:
        kg = build_once(settings, cli.progress)
        if not settings.store_url:
            prepare_store(kg, settings, cli.progress)
    os.environ.update(settings.to_env())
    # /metrics adds up every server process: prometheus_client's multiprocess mode, in a
    # directory of this run's own, so that no count of an earlier run is added in.
    metrics_dir = tempfile.mkdtemp(prefix="smpkg-metrics-")
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = metrics_dir
    cli.progress(
        f"starting {args.workers} server processes on http://{settings.host}:{settings.port}/sparql"
    )
    try:
        uvicorn.run(
            "api:create_app_after_forkserver",
            factory=True,
            host=settings.host,
            port=settings.port,
            workers=args.workers,
            timeout_worker_healthcheck=120,
            **uvicorn_options(settings, args.log_level, spawned=True),
        )
    finally:
        shutil.rmtree(metrics_dir, ignore_errors=True)
    return 0


def serve_parser(sub) -> None:
    """`smpkg serve`, added to the sub-parsers of smpkg.cli.parser (its `extra`)."""
    p = sub.add_parser("serve", help="serve the SPARQL endpoint")
    p.add_argument("--host")
    p.add_argument("--port", type=int)
    p.add_argument(
        "--dataset",
        nargs="+",
        metavar="FILE",
        help="serve these RDF files instead of the SMP graph",
    )
    p.add_argument("--timeout", type=float, help="query deadline in seconds")
    p.add_argument(
        "--workers",
        type=int,
        default=1,
        metavar="N",
        help="server processes sharing the port and the on-disk store (default 1)",
    )
    p.add_argument(
        "--log-level",
        default="info",
        choices=["critical", "error", "warning", "info", "debug"],
        help="info (the default) writes one JSON line per request (see README, Logs)",
    )
    for name, meaning in LIMITS.items():  # --max-headers N overrides SMPKG_MAX_HEADERS
        p.add_argument("--" + name.replace("_", "-"), type=float, metavar="N", help=meaning)
    p.set_defaults(func=cmd_serve)


COMMANDS: tuple[cli.AddCommand, ...] = (serve_parser,)


def parser() -> argparse.ArgumentParser:
    return cli.parser(extra=COMMANDS)


def main(argv: list[str] | None = None) -> int:
    return cli.main(argv, extra=COMMANDS)


if __name__ == "__main__":
    sys.exit(main())
