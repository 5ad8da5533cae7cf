"""What a worker process builds once, lazily: settings, database engine, policies, the model, HTTP client."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache, cached_property

import httpx
from sqlalchemy import Engine

from policies import PolicyStore
from service.db.engine import create_worker_engine
from service.settings import Settings, load_settings
from workers.classifier import Classifier, get_classifier
from workers.pipeline import Pipeline


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
        # Loaded at the first comment, not at process start: Celery gives process init only seconds.
        return get_classifier(self.settings.model)

    @cached_property
    def http(self) -> httpx.Client:
        return httpx.Client(follow_redirects=False)


@cache
def runtime() -> Runtime:
    """One per worker process; created after the fork, so no connection is shared between processes."""
    return Runtime(load_settings())
