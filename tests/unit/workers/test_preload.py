"""A scoring process loads its model as it starts; a model that cannot load must not stop the process."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
import structlog.testing

import workers.runtime
from workers.classifier import ClassifierError
from workers.runtime import preload_model


def test_a_model_that_cannot_load_is_logged_and_the_process_starts(monkeypatch: pytest.MonkeyPatch) -> None:
    def broken() -> None:
        raise ClassifierError("MODERATION_MODEL_CHECKPOINT: no file at /models/missing.pt")

    monkeypatch.setattr(workers.runtime, "runtime", lambda: SimpleNamespace(classifier=broken))
    with structlog.testing.capture_logs() as logs:
        preload_model(signal=None, sender=None)
    assert logs == [
        {
            "event": "classifier.preload_failed",
            "log_level": "warning",
            "error_type": "ClassifierError",
            "error": "MODERATION_MODEL_CHECKPOINT: no file at /models/missing.pt",
        }
    ]
