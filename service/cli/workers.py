"""`moderation worker` and `moderation beat`: the Celery processes of the pipeline."""

from __future__ import annotations

import os
from typing import Any

import click

from service.cli.context import settings

TORCH_THREADS_VARIABLE = "MODERATION_MODEL_TORCH_THREADS"
# Each scoring process holds its own model (about 600 MB): past four, the rest of the cores go to torch
# threads instead, so a large machine's default stays within a few GB. --concurrency goes further.
DEFAULT_MAX_PROCESSES = 4
# A prefork child that finished a task while its parent was already stopping waits for the parent to count
# that task's result: 30 s in billiard 4.3, and the stopping parent no longer reads (1 stop in 6 took 30 s
# here). Every task is acked late and idempotent, so an uncounted last result costs a redelivered no-op.
CHILD_EXIT_WAIT_SECONDS = 3.0
# Scoring processes load the model before they report ready (about 7 s for the bundled one on two cores);
# Celery's default allows a process 4 s to start before it replaces it.
PROCESS_START_SECONDS = 120.0


def available_cores() -> int:
    """Cores this process may run on (a container's CPU set, not the host's count)."""
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


@click.command()
@click.option("--queues", default="moderation,webhooks", show_default=True, help="Queues to consume.")
@click.option(
    "--pool",
    type=click.Choice(["prefork", "solo", "threads"]),
    default="prefork",
    show_default=True,
    help="prefork for scoring (one model per process); threads for webhook-only workers.",
)
@click.option(
    "--concurrency",
    type=click.IntRange(min=1),
    help=f"Processes or threads [default: prefork, one process per core up to {DEFAULT_MAX_PROCESSES}; otherwise 1].",
)
def worker(queues: str, pool: str, concurrency: int | None) -> None:
    """Run a Celery worker: score comments, apply policies, deliver webhooks."""
    from workers.celery_app import create_celery

    cores = available_cores()
    if concurrency is None:
        concurrency = min(cores, DEFAULT_MAX_PROCESSES) if pool == "prefork" else 1
    app = create_celery(settings())
    if pool == "prefork":
        if settings().model.torch_threads == 0:
            # Processes side by side, one torch thread each, beat one process using every core: while one
            # waits on the database, another scores (docs/benchmarks.md). The forked processes inherit this.
            os.environ[TORCH_THREADS_VARIABLE] = str(max(1, cores // concurrency))
        bound_child_exit_wait()
        if "moderation" in queues.split(","):
            load_model_as_processes_start(app)
    app.worker_main(
        ["worker", f"--queues={queues}", f"--pool={pool}", f"--concurrency={concurrency}", "--loglevel=INFO"]
    )


def load_model_as_processes_start(app: Any) -> None:
    from celery import signals

    from workers.runtime import preload_model

    signals.worker_process_init.connect(preload_model, weak=False)  # connected here, run in each forked process
    app.conf.worker_proc_alive_timeout = PROCESS_START_SECONDS


def bound_child_exit_wait() -> None:
    import billiard.pool

    # A billiard without this wait (or with it renamed) needs no bound: start the worker regardless.
    interval = getattr(billiard.pool, "GUARANTEE_MESSAGE_CONSUMPTION_RETRY_INTERVAL", None)
    if isinstance(interval, int | float) and interval > 0:
        billiard.pool.GUARANTEE_MESSAGE_CONSUMPTION_RETRY_LIMIT = max(1, round(CHILD_EXIT_WAIT_SECONDS / interval))


@click.command()
def beat() -> None:
    """Run Celery beat: re-queue stale pending comments and due webhook deliveries."""
    from workers.celery_app import create_celery

    app = create_celery(settings())
    app.start(["beat", "--loglevel=INFO"])
