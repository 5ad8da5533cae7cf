"""`moderation worker` and `moderation beat`: the Celery processes of the pipeline."""

from __future__ import annotations

import click

from service.cli.context import settings


@click.command()
@click.option("--queues", default="moderation,webhooks", show_default=True, help="Queues to consume.")
@click.option(
    "--pool",
    type=click.Choice(["prefork", "solo", "threads"]),
    default="prefork",
    show_default=True,
    help="prefork for scoring (one model per process); threads for webhook-only workers.",
)
@click.option("--concurrency", type=int, default=1, show_default=True, help="Processes or threads.")
def worker(queues: str, pool: str, concurrency: int) -> None:
    """Run a Celery worker: score comments, apply policies, deliver webhooks."""
    from workers.celery_app import create_celery

    app = create_celery(settings())
    app.worker_main(
        ["worker", f"--queues={queues}", f"--pool={pool}", f"--concurrency={concurrency}", "--loglevel=INFO"]
    )


@click.command()
def beat() -> None:
    """Run Celery beat: re-queue stale pending comments and due webhook deliveries."""
    from workers.celery_app import create_celery

    app = create_celery(settings())
    app.start(["beat", "--loglevel=INFO"])
