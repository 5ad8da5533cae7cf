"""What a worker process builds once, lazily: settings, database engine, policies, the model, HTTP client."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache, cached_property
from typing import Any

import httpx
import structlog
from sqlalchemy import Engine

from policies import PolicyStore
from service.db.engine import create_worker_engine
from service.settings import Settings, load_settings
from workers.classifier import Classifier, get_classifier
from workers.pipeline import Pipeline

log = structlog.get_logger()


@dataclass
class Runtime:
    settings: Settings

    @cached_property
    def engine(self) -> Engine:
        return create_worker_engine(self.settings.database)

    @cached_property
    def pipeline(self) -> Pipeline:
        return Pipeline(
            engine=self.engine,
            policies=PolicyStore(self.settings.policy_dir),
            scorer=self.classifier,
            settings=self.settings.pipeline,
            batch_size=self.settings.model.max_batch_size,
        )

    def classifier(self) -> Classifier:
        # Scoring processes load it as they start (preload_model); anything else, at its first comment.
        return get_classifier(self.settings.model)

    @cached_property
    def http(self) -> httpx.Client:
        return httpx.Client(follow_redirects=False)


def preload_model(**_: Any) -> None:
    """Celery's worker_process_init: load the model before the first comment, not while it waits (~7 s).

    A model that cannot load must not stop the process from starting: the tasks meet the same error,
    retry, and hold their comments after the attempts run out, as with a model that fails later.
    """
    try:
        runtime().classifier()
    except Exception as error:
        log.warning("classifier.preload_failed", error_type=type(error).__name__, error=str(error))


@cache
def runtime() -> Runtime:
    """One per worker process; created after the fork, so no connection is shared between processes."""
    return Runtime(load_settings())
