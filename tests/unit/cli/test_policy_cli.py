"""`moderation policy check | test | replay`, driven through click's CliRunner with given scores."""

from __future__ import annotations

import csv
import importlib
import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from service.cli.policy import policy

POLICY = """
word_lists:
  banned: {kind: banned, words: [idiot]}
rules:
  - {name: banned_words, reason: banned_word, action: reject, when: {words_of_kind: banned}}
  - {name: toxic, reason: toxicity, action: hold, when: {score: "toxicity >= 0.7"}}
  - {name: new_in_politics, reason: new_author, action: hold,
     when: {all: [{article_section: politics}, {first_comment: true}]}}
"""


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    (tmp_path / "site.yaml").write_text(POLICY)
    (tmp_path / "strict.yaml").write_text(
        "extends: site\nrules:\n  - {name: toxic, reason: toxicity, action: hold, when: {score: 'toxicity >= 0.4'}}\n"
    )
    (tmp_path / "broken.yaml").write_text("rules:\n  - {name: r, reason: x, action: hold, when: {regex: 'a(('}}\n")
    return tmp_path


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(policy, list(args))
    return result.exit_code, result.stdout, result.stderr


def test_check_passes_good_files(folder: Path) -> None:
    code, out, _ = run("check", str(folder / "site.yaml"), str(folder / "strict.yaml"))
    assert code == 0
    assert out.count("ok ") == 2


def test_check_prints_located_errors_and_fails(folder: Path) -> None:
    code, out, err = run("check", str(folder / "site.yaml"), str(folder / "broken.yaml"))
    assert code == 1
    assert "ok " in out
    assert f"{folder / 'broken.yaml'}:2:54: regex does not compile" in err


def test_check_without_arguments_checks_the_shipped_policies() -> None:
    code, out, _ = run("check")
    assert code == 0
    assert "default.yaml" in out
    assert "example-site.yaml" in out


def test_check_accepts_the_active_models_categories(folder: Path) -> None:
    code, _, err = run("check", str(folder / "site.yaml"), "--category", "spam")
    assert code == 1
    assert "unknown category 'toxicity'" in err


def test_test_prints_the_decision_and_matched_rules(folder: Path) -> None:
    code, out, _ = run("test", str(folder / "site.yaml"), "--text", "you 1d10t", "--scores", '{"toxicity": 0.8}')
    assert code == 0
    assert "action: reject" in out
    assert "matched banned_words: reject (banned_word) at 4-9" in out
    assert "matched toxic: hold (toxicity)" in out
    assert "toxicity=0.800" in out


def test_test_json_is_one_object_for_scripts(folder: Path) -> None:
    code, out, _ = run(
        "test", str(folder / "site.yaml"), "--text", "hello idiot", "--scores", '{"toxicity": 0.1}', "--json"
    )
    assert code == 0
    result = json.loads(out)
    assert result["action"] == "reject"
    assert result["reasons"] == ["banned_word"]
    assert result["matched"] == [
        {"name": "banned_words", "reason": "banned_word", "action": "reject", "spans": [[6, 11]]}
    ]
    assert result["scores"] == {"toxicity": 0.1}


def test_test_author_and_article_options_reach_the_rules(folder: Path) -> None:
    args = ["test", str(folder / "site.yaml"), "--text", "hi", "--scores", "{}", "--json"]
    assert json.loads(run(*args)[1])["action"] == "publish"
    _, out, _ = run(*args, "--article-section", "politics", "--author-first-comment")
    assert json.loads(out)["reasons"] == ["new_author"]
    _, out, _ = run(*args, "--author-status", "premoderated")
    assert json.loads(out)["reasons"] == ["premoderated"]


def test_test_rejects_bad_scores(folder: Path) -> None:
    code, _, err = run("test", str(folder / "site.yaml"), "--text", "hi", "--scores", "[1, 2]")
    assert code == 2
    assert "--scores" in err


def test_test_refuses_a_broken_policy(folder: Path) -> None:
    code, _, err = run("test", str(folder / "broken.yaml"), "--text", "hi", "--scores", "{}")
    assert code == 1
    assert "broken.yaml:2:54" in err


def write_csv(path: Path, rows: list[dict[str, str]]) -> Path:
    with path.open("w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    return path


ROWS = [
    {"text": "you idiot", "label": "1", "score_toxicity": "0.9", "toxicity": "1"},
    {"text": "rather rude", "label": "1", "score_toxicity": "0.5", "toxicity": "1"},
    {"text": "nice article", "label": "0", "score_toxicity": "0.05", "toxicity": "0"},
    {"text": "strong words", "label": "0", "score_toxicity": "0.75", "toxicity": "0"},
]


def test_replay_reports_counts_and_precision_recall_per_reason(folder: Path, tmp_path: Path) -> None:
    data = write_csv(tmp_path / "labelled.csv", ROWS)
    code, out, _ = run("replay", str(folder / "site.yaml"), "--input", str(data), "--json")
    assert code == 0
    report = json.loads(out)["policy"]
    assert report["counts"] == {"publish": 2, "hold": 1, "reject": 1}
    assert report["overall"] == {
        "flagged": 2,
        "true_positives": 1,
        "positives": 2,
        "precision": 0.5,
        "recall": 0.5,
    }
    assert report["per_reason"]["banned_word"]["precision"] == 1.0
    assert report["per_reason"]["toxicity"] == {
        "flagged": 1, "true_positives": 0, "positives": 2, "precision": 0.0, "recall": 0.0,
    }  # fmt: skip


def test_replay_against_another_policy_shows_what_changes(folder: Path, tmp_path: Path) -> None:
    data = write_csv(tmp_path / "labelled.csv", ROWS)
    code, out, _ = run(
        "replay",
        str(folder / "strict.yaml"),
        "--input",
        str(data),
        "--against",
        str(folder / "site.yaml"),
        "--json",
    )
    assert code == 0
    result = json.loads(out)
    assert result["changes"] == {"publish -> hold": 1}
    assert result["against"]["counts"]["hold"] == 1
    assert result["policy"]["counts"]["hold"] == 2


def test_replay_text_output(folder: Path, tmp_path: Path) -> None:
    data = write_csv(tmp_path / "labelled.csv", ROWS)
    code, out, _ = run(
        "replay", str(folder / "strict.yaml"), "--input", str(data), "--against", str(folder / "site.yaml")
    )
    assert code == 0
    assert "4 comments" in out
    assert "published 1, held 2, rejected 1" in out
    assert "publish -> hold: 1" in out


def test_replay_reads_json_scores_and_author_facts(folder: Path, tmp_path: Path) -> None:
    data = write_csv(
        tmp_path / "facts.csv",
        [
            {
                "text": "hi",
                "label": "hold",
                "scores": "{}",
                "article_section": "politics",
                "author_is_first_comment": "1",
            },
            {
                "text": "hi",
                "label": "ok",
                "scores": '{"toxicity": 0.1}',
                "article_section": "",
                "author_is_first_comment": "",
            },
        ],
    )
    code, out, _ = run("replay", str(folder / "site.yaml"), "--input", str(data), "--scores-column", "scores", "--json")
    assert code == 0
    report = json.loads(out)["policy"]
    assert report["per_reason"]["new_author"]["recall"] == 1.0
    assert report["overall"]["precision"] == 1.0


def test_replay_names_the_bad_row(folder: Path, tmp_path: Path) -> None:
    data = write_csv(
        tmp_path / "bad.csv",
        [
            {"text": "a", "label": "1", "score_toxicity": "0.1"},
            {"text": "b", "label": "maybe", "score_toxicity": "0.1"},
        ],
    )
    code, _, err = run("replay", str(folder / "site.yaml"), "--input", str(data))
    assert code == 1
    assert "row 3: label 'maybe'" in err


def test_replay_needs_text_and_label_columns(folder: Path, tmp_path: Path) -> None:
    data = write_csv(tmp_path / "bad.csv", [{"body": "a", "label": "1"}])
    code, _, err = run("replay", str(folder / "site.yaml"), "--input", str(data), "--scores-column", "x")
    assert code == 1
    assert "missing column(s) text" in err


class FakeClassifier:
    """Stands in for workers.classifier's Classifier: fixed classes, toxicity 0.8 for every text."""

    class info:
        classes = ("toxicity", "spam")

    def score(self, texts: list[str]) -> list[dict[str, float]]:
        return [{"toxicity": 0.8, "spam": 0.0} for _ in texts]


@pytest.fixture
def fake_model(monkeypatch: pytest.MonkeyPatch) -> None:
    # The package attribute `service.cli.policy` is the click group, so reach the module itself.
    monkeypatch.setattr(importlib.import_module("service.cli.policy"), "_classifier", FakeClassifier)


@pytest.mark.usefixtures("fake_model")
def test_test_without_scores_asks_the_classifier(folder: Path) -> None:
    code, out, _ = run("test", str(folder / "site.yaml"), "--text", "hello", "--json")
    assert code == 0
    assert json.loads(out)["scores"] == {"toxicity": 0.8, "spam": 0.0}
    assert json.loads(out)["reasons"] == ["toxicity"]


@pytest.mark.usefixtures("fake_model")
def test_check_from_model_uses_the_models_classes(folder: Path) -> None:
    (folder / "spam.yaml").write_text("rules:\n  - {name: s, reason: s, action: hold, when: {score: 'spam > 0.5'}}\n")
    assert run("check", str(folder / "spam.yaml"))[0] == 1
    assert run("check", str(folder / "spam.yaml"), "--from-model")[0] == 0


@pytest.mark.usefixtures("fake_model")
def test_replay_without_scores_asks_the_classifier(folder: Path, tmp_path: Path) -> None:
    data = write_csv(tmp_path / "plain.csv", [{"text": "a", "label": "1"}, {"text": "b", "label": "0"}])
    code, out, _ = run("replay", str(folder / "site.yaml"), "--input", str(data), "--json")
    assert code == 0
    assert json.loads(out)["policy"]["counts"]["hold"] == 2


def test_policy_group_is_registered_on_the_moderation_command() -> None:
    from service.cli import main

    result = CliRunner().invoke(main, ["policy", "check"])
    assert result.exit_code == 0, result.output
    assert "default.yaml" in result.stdout
