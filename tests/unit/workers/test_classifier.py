"""Classifier behaviour on a tiny random Detoxify checkpoint: batching bounds, order, truncation, errors."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from service.settings import ModelSettings
from tests.fixtures.tiny_model import CLASSES, build_tiny_checkpoint
from workers.classifier import (
    Classifier,
    ClassifierError,
    get_classifier,
    load_classifier,
    make_batches,
)

MAX_LENGTH = 32
TEXTS = [
    "thanks for the good article",
    "you are an idiot",
    "the council was not nice to the town",
    "",
    "i love this news and the people in it " * 20,
    "bad",
    "we hate that comment",
]


@pytest.fixture(scope="module")
def tiny(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    return build_tiny_checkpoint(tmp_path_factory.mktemp("tiny"), model_max_length=MAX_LENGTH)


def settings_for(tiny: tuple[Path, Path], **overrides: Any) -> ModelSettings:
    checkpoint, config_dir = tiny
    return ModelSettings(name="checkpoint", checkpoint_path=checkpoint, config_dir=config_dir, **overrides)


@pytest.fixture(scope="module")
def classifier(tiny: tuple[Path, Path]) -> Classifier:
    return load_classifier(settings_for(tiny, max_batch_size=3, max_batch_tokens=40))


class RecordingModel:
    """Wraps the torch model to remember the shape of every batch it is given."""

    def __init__(self, model: Any) -> None:
        self.model = model
        self.batches: list[tuple[int, int, int]] = []  # rows, padded width, real tokens

    def eval(self) -> None:
        self.model.eval()

    def __call__(self, **inputs: Any) -> Any:
        ids = inputs["input_ids"]
        self.batches.append((ids.shape[0], ids.shape[1], int(inputs["attention_mask"].sum())))
        return self.model(**inputs)


@pytest.mark.parametrize(
    ("lengths", "max_size", "max_tokens"),
    [
        ([5] * 10, 3, 1000),
        ([5] * 10, 100, 12),
        ([1, 50, 2, 49, 3, 48], 4, 60),
        ([100, 100], 8, 10),  # each longer than the budget alone
        ([], 4, 10),
    ],
)
def test_make_batches_respects_both_bounds_and_covers_every_text(
    lengths: list[int], max_size: int, max_tokens: int
) -> None:
    batches = make_batches(lengths, max_size, max_tokens)
    assert sorted(i for b in batches for i in b) == list(range(len(lengths)))
    for batch in batches:
        assert len(batch) <= max_size
        assert len(batch) == 1 or sum(lengths[i] for i in batch) <= max_tokens


def test_scores_come_back_in_input_order(classifier: Classifier) -> None:
    together = classifier.score(TEXTS)
    alone = [classifier.score([text])[0] for text in TEXTS]
    assert len(together) == len(TEXTS)
    for a, b in zip(together, alone, strict=True):
        assert a.keys() == set(CLASSES)
        for name in CLASSES:
            assert a[name] == pytest.approx(b[name], abs=1e-4)
    # The check above only means something if texts score differently.
    assert len({round(s["toxicity"], 4) for s in alone}) > 3


def test_every_model_call_is_bounded_by_batch_size_and_tokens(tiny: tuple[Path, Path]) -> None:
    classifier = load_classifier(settings_for(tiny, max_batch_size=3, max_batch_tokens=40))
    recorder = RecordingModel(classifier._model)
    classifier._model = recorder
    classifier.score(TEXTS * 3)
    assert len(recorder.batches) > 1
    assert sum(rows for rows, _, _ in recorder.batches) == len(TEXTS) * 3
    for rows, _, tokens in recorder.batches:
        assert rows <= 3
        assert rows == 1 or tokens <= 40


def test_long_texts_are_truncated_to_the_tokenizer_max_length(tiny: tuple[Path, Path]) -> None:
    classifier = load_classifier(settings_for(tiny))
    recorder = RecordingModel(classifier._model)
    classifier._model = recorder
    long_text = "good news " * 500
    assert classifier.token_lengths([long_text]) == [MAX_LENGTH]
    scores = classifier.score([long_text])
    assert recorder.batches[0][1] == MAX_LENGTH
    assert all(0.0 <= v <= 1.0 for v in scores[0].values())


def test_empty_input_scores_nothing(classifier: Classifier) -> None:
    assert classifier.score([]) == []


def test_a_bare_string_is_refused_rather_than_scored_per_character(classifier: Classifier) -> None:
    with pytest.raises(TypeError):
        classifier.score("you are an idiot")  # type: ignore[arg-type]


def test_info_names_the_classes_and_the_checkpoint_sha256(classifier: Classifier, tiny: tuple[Path, Path]) -> None:
    import hashlib

    assert classifier.info.classes == CLASSES
    assert classifier.info.name == "checkpoint"
    assert classifier.info.version == hashlib.sha256(tiny[0].read_bytes()).hexdigest()


def test_hub_style_model_type_loads_from_the_config_dir_offline(tmp_path: Path) -> None:
    checkpoint, config_dir = build_tiny_checkpoint(tmp_path, model_type="bert-base-uncased")
    before = Path.cwd()
    classifier = load_classifier(ModelSettings(name="checkpoint", checkpoint_path=checkpoint, config_dir=config_dir))
    assert Path.cwd() == before
    assert classifier.score(["good"])[0].keys() == set(CLASSES)


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        (ModelSettings(name="no-such-model"), "unknown MODERATION_MODEL"),
        (ModelSettings(name="checkpoint"), "MODERATION_MODEL_CHECKPOINT"),
        (
            ModelSettings(name="checkpoint", checkpoint_path=Path("/nonexistent/x.ckpt"), config_dir=Path("/tmp")),
            "no file at /nonexistent/x.ckpt",
        ),
    ],
)
def test_bad_settings_fail_with_a_message_naming_the_fix(settings: ModelSettings, message: str) -> None:
    with pytest.raises(ClassifierError, match=message):
        load_classifier(settings)


def test_a_file_that_is_not_a_detoxify_checkpoint_is_refused(tmp_path: Path, tiny: tuple[Path, Path]) -> None:
    bogus = tmp_path / "bogus.ckpt"
    bogus.write_bytes(b"not a checkpoint")
    with pytest.raises(ClassifierError, match="not a Detoxify checkpoint"):
        load_classifier(ModelSettings(name="checkpoint", checkpoint_path=bogus, config_dir=tiny[1]))


def test_named_detoxify_model_without_cached_weights_fails_fast(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import socket

    import torch

    monkeypatch.setattr(torch.hub, "get_dir", lambda: str(tmp_path))

    def no_network(*args: object, **kwargs: object) -> None:
        raise OSError("network disabled in tests")

    monkeypatch.setattr(socket.socket, "connect", no_network)
    with pytest.raises(ClassifierError, match="MODERATION_MODEL=checkpoint"):
        load_classifier(ModelSettings(name="original"))


def test_get_classifier_loads_once_per_settings(tiny: tuple[Path, Path]) -> None:
    settings = settings_for(tiny, max_batch_size=5)
    assert get_classifier(settings) is get_classifier(settings)


def test_importing_the_module_loads_no_ml_library() -> None:
    code = "import sys, workers.classifier; print(sorted({'torch', 'detoxify', 'transformers'} & set(sys.modules)))"
    result = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=True,
        cwd=Path(__file__).resolve().parents[3],
        env={**os.environ},
    )
    assert result.stdout.strip() == "[]"


def test_legacy_format_checkpoint_with_hub_model_type_loads(tmp_path: Path) -> None:
    import torch

    checkpoint, config_dir = build_tiny_checkpoint(tmp_path, model_type="bert-base-uncased")
    legacy = tmp_path / "legacy.ckpt"
    torch.save(torch.load(checkpoint, weights_only=False), legacy, _use_new_zipfile_serialization=False)
    classifier = load_classifier(ModelSettings(name="checkpoint", checkpoint_path=legacy, config_dir=config_dir))
    assert classifier.score(["good"])[0].keys() == set(CLASSES)
