"""`moderation serve` (everything on one machine) and `moderation api` (the HTTP API alone)."""

from __future__ import annotations

import click
import uvicorn

from service.cli.context import settings, sync_engine
from service.cli.supervise import run_together
from service.db import migrate


def _run_api(host: str, port: int, workers: int) -> None:
    click.echo(f"moderation API listening on http://{host}:{port}  (OpenAPI: http://{host}:{port}/schema)")
    uvicorn.run(
        "service.asgi:app",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        loop="uvloop",
        http="httptools",
        access_log=False,  # the app writes its own line per request, with the request id
        log_config=None,  # keep the structlog handlers configured by the app
    )


def _host_port(host: str | None, port: int | None) -> tuple[str, int]:
    return host or settings().api.host, settings().api.port if port is None else port


@click.command()
@click.option("--host", help="Address to bind (default MODERATION_HOST or 127.0.0.1).")
@click.option("--port", type=int, help="Port to bind (default MODERATION_PORT or 8000).")
@click.option("--workers", type=int, default=1, show_default=True, help="API processes.")
def api(host: str | None, port: int | None, workers: int) -> None:
    """Run only the HTTP API (production: several of these behind a load balancer)."""
    _run_api(*_host_port(host, port), workers)


@click.command()
@click.option("--host", help="Address to bind (default MODERATION_HOST or 127.0.0.1).")
@click.option("--port", type=int, help="Port to bind (default MODERATION_PORT or 8000).")
def serve(host: str | None, port: int | None) -> None:
    """Run everything on this machine: migrate if needed, then the API, a worker and beat; Ctrl-C stops all."""
    engine = sync_engine()
    if not migrate.is_current(engine):
        click.echo("applying database migrations")
        migrate.upgrade(engine)
    host, port = _host_port(host, port)
    code = run_together(
        {
            "api": ["api", f"--host={host}", f"--port={port}"],
            # Scoring and webhooks apart, so a slow site endpoint never holds up a decision.
            "worker": ["worker", "--queues=moderation"],  # one process per core (see `moderation worker`)
            "webhooks": ["worker", "--queues=webhooks", "--pool=threads", "--concurrency=8"],
            "beat": ["beat"],
        }
    )
    raise SystemExit(code)
