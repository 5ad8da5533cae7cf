"""The Celery application, configured from the same settings as the API."""

from __future__ import annotations

from functools import cache
from typing import Any

from celery import Celery, signals

from service.logging import configure_logging
from service.settings import Settings, load_settings

# Kombu's SQLAlchemy transport polls; its 1 s default adds a second to every decision on the embedded
# broker. It only reads this class attribute (transport options go to create_engine and fail).
EMBEDDED_POLL_SECONDS = 0.05


def broker_url(settings: Settings) -> str:
    if settings.broker.url:
        return settings.broker.url
    return f"sqla+sqlite:///{settings.data_dir / 'broker.db'}"


def create_celery(settings: Settings) -> Celery:
    settings.data_dir.mkdir(parents=True, exist_ok=True)  # the embedded broker and beat keep files there
    url = broker_url(settings)
    if url.startswith("sqla+"):
        from kombu.transport import sqlalchemy as kombu_sqlalchemy

        kombu_sqlalchemy.Transport.polling_interval = EMBEDDED_POLL_SECONDS

    def use_structlog(**_: Any) -> None:
        # Connecting this signal stops Celery from installing its own handlers: one log shape everywhere.
        configure_logging(settings.log)

    signals.setup_logging.connect(use_structlog, weak=False)
    app = Celery("moderation", broker=url, set_as_current=True)
    app.conf.update(
        task_ignore_result=True,  # outcomes live in the database
        task_acks_late=True,  # a task whose worker dies is delivered again
        task_reject_on_worker_lost=True,
        worker_prefetch_multiplier=4,
        worker_hijack_root_logger=False,
        broker_connection_retry_on_startup=True,
        broker_transport_options={"visibility_timeout": 3600} if url.startswith("redis") else {},
        task_default_queue="moderation",
        # Webhooks wait on other people's servers: their own queue keeps them out of scoring's way.
        task_routes={"webhooks.*": {"queue": "webhooks"}},
        imports=("workers.tasks",),
        beat_schedule={
            "requeue-stale-pending-comments": {
                "task": "comments.sweep_pending",
                "schedule": float(settings.pipeline.sweep_interval_seconds),
            },
            "requeue-due-webhooks": {
                "task": "webhooks.sweep_due",
                "schedule": float(settings.pipeline.sweep_interval_seconds),
            },
        },
        beat_schedule_filename=str(settings.data_dir / "beat-schedule"),
    )
    return app


@cache
def get_celery() -> Celery:
    return create_celery(load_settings())
