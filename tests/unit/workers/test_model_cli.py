"""`moderation model info|score` against a tiny random checkpoint chosen through MODERATION_MODEL_* variables."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from service.cli import context
from service.cli.model import model
from tests.fixtures.tiny_model import CLASSES, build_tiny_checkpoint


@pytest.fixture(scope="module")
def tiny(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    return build_tiny_checkpoint(tmp_path_factory.mktemp("tiny-cli"))


@pytest.fixture
def runner(tiny: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch) -> Iterator[CliRunner]:
    monkeypatch.setenv("MODERATION_MODEL", "checkpoint")
    monkeypatch.setenv("MODERATION_MODEL_CHECKPOINT", str(tiny[0]))
    monkeypatch.setenv("MODERATION_MODEL_CONFIG_DIR", str(tiny[1]))
    monkeypatch.setenv("MODERATION_MODEL_MAX_BATCH_SIZE", "2")
    context.settings.cache_clear()
    yield CliRunner()
    context.settings.cache_clear()


def test_info_prints_name_version_and_classes(runner: CliRunner, tiny: tuple[Path, Path]) -> None:
    import hashlib

    result = runner.invoke(model, ["info", "--json"])
    assert result.exit_code == 0, result.output
    info = json.loads(result.stdout.strip().splitlines()[-1])
    assert info == {
        "name": "checkpoint",
        "version": hashlib.sha256(tiny[0].read_bytes()).hexdigest(),
        "classes": list(CLASSES),
    }


def test_score_input_writes_one_json_object_per_line_in_order(runner: CliRunner) -> None:
    texts = ["good news", "you idiot", "thanks", "the council " * 30, "bad"]
    result = runner.invoke(model, ["score", "--input", "-"], input="".join(json.dumps(t) + "\n" for t in texts))
    assert result.exit_code == 0, result.output
    lines = [json.loads(line) for line in result.stdout.strip().splitlines()]
    singles = [json.loads(runner.invoke(model, ["score", t]).stdout.strip().splitlines()[-1]) for t in texts]
    assert len(lines) == len(texts)
    for got, alone in zip(lines, singles, strict=True):
        assert set(got) == set(CLASSES)
        assert got["toxicity"] == pytest.approx(alone["toxicity"], abs=1e-4)


def test_score_input_rejects_a_line_that_is_not_a_json_string(runner: CliRunner) -> None:
    result = runner.invoke(model, ["score", "--input", "-"], input='"fine"\n{"text": "x"}\n')
    assert result.exit_code != 0
    assert "line 2: expected a JSON string" in result.output


def test_score_needs_text_or_input(runner: CliRunner) -> None:
    result = runner.invoke(model, ["score"])
    assert result.exit_code == 2
    assert "either TEXT or --input" in result.output


def test_a_model_that_cannot_load_is_a_clean_error(runner: CliRunner, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MODERATION_MODEL", "no-such-model")
    context.settings.cache_clear()
    result = runner.invoke(model, ["info"])
    assert result.exit_code == 1
    assert "unknown MODERATION_MODEL" in result.output
