"""The bundled model loads offline through unmodified Detoxify and tells abuse from friendly comments."""

from __future__ import annotations

import hashlib
import socket
from collections.abc import Iterator

import pytest

from service.settings import ModelSettings
from workers.bundled_model import build
from workers.classifier import Classifier, load_classifier

pytestmark = pytest.mark.slow

ABUSIVE = [
    "You are a pathetic idiot and everyone here laughs at you.",
    "Shut up, you stupid moron.",
    "What a worthless piece of garbage you are, go crawl back under your rock.",
    "Only a brain-dead loser would write something this dumb.",
    "You disgusting pig, nobody wants you here.",
]
FRIENDLY = [
    "Thanks for this thoughtful article, I learned a lot.",
    "Great reporting, I hope the council reads this before the vote.",
    "I disagree with the mayor's plan, but the piece explains both sides well.",
    "The photos of the harbour festival are lovely.",
    "Does anyone know when the new library opens?",
]


def _no_network(*args: object, **kwargs: object) -> None:
    raise OSError("network access attempted while loading the bundled model")


@pytest.fixture(scope="module")
def offline() -> Iterator[None]:
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("HF_HUB_OFFLINE", "1")
        patch.setenv("TRANSFORMERS_OFFLINE", "1")
        patch.setattr(socket.socket, "connect", _no_network)
        patch.setattr(socket, "create_connection", _no_network)
        yield


@pytest.fixture(scope="module")
def bundled(offline: None) -> Classifier:
    # Loading under the socket guard is itself the "needs no network" check: any connection attempt raises.
    return load_classifier(ModelSettings(name="bundled", torch_threads=2))


def test_obviously_abusive_comments_score_high(bundled: Classifier) -> None:
    scores = [s["toxicity"] for s in bundled.score(ABUSIVE)]
    assert min(scores) > 0.5, scores


def test_friendly_comments_score_low(bundled: Classifier) -> None:
    scores = [max(s.values()) for s in bundled.score(FRIENDLY)]
    assert max(scores) < 0.2, scores


def test_outputs_detoxify_class_names(bundled: Classifier) -> None:
    assert bundled.info.classes == (
        "toxicity",
        "severe_toxicity",
        "obscene",
        "threat",
        "insult",
        "identity_attack",
    )


def test_version_is_the_artifact_sha256_and_stable_across_loads(bundled: Classifier, offline: None) -> None:
    again = load_classifier(ModelSettings(name="bundled"))
    assert again.info.version == bundled.info.version
    assert bundled.info.version == hashlib.sha256(build.DELTA_PATH.read_bytes()).hexdigest()


def test_unmodified_detoxify_loads_the_checkpoint_offline(offline: None) -> None:
    from detoxify import Detoxify

    model = Detoxify(checkpoint=str(build.build()), huggingface_config_path=str(build.HF_CONFIG_DIR))
    result = model.predict([ABUSIVE[1], FRIENDLY[0]])
    assert result["toxicity"][0] > 0.5
    assert result["toxicity"][1] < 0.2


def test_tracked_artifact_stays_within_the_repository_size_limit() -> None:
    tracked = [build.DELTA_PATH, build.MANIFEST_PATH, *build.HF_CONFIG_DIR.iterdir()]
    assert sum(p.stat().st_size for p in tracked) <= 25 * 1024 * 1024
