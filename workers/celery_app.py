"""The Celery application, configured from the same settings as the API."""

from __future__ import annotations

from functools import cache

from celery import Celery

from service.settings import Settings, load_settings

# Kombu's SQLAlchemy transport polls; its 1 s default adds a second to every decision on the embedded
# broker. It only reads this class attribute (transport options go to create_engine and fail).
EMBEDDED_POLL_SECONDS = 0.05


def broker_url(settings: Settings) -> str:
    if settings.broker.url:
        return settings.broker.url
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    return f"sqla+sqlite:///{settings.data_dir / 'broker.db'}"


def create_celery(settings: Settings) -> Celery:
    url = broker_url(settings)
    if url.startswith("sqla+"):
        from kombu.transport import sqlalchemy as kombu_sqlalchemy

        kombu_sqlalchemy.Transport.polling_interval = EMBEDDED_POLL_SECONDS
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
        imports=("workers.tasks",),
    )
    return app


@cache
def get_celery() -> Celery:
    return create_celery(load_settings())
