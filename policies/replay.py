"""Replaying a policy over labelled comments: what it would publish, hold and reject, and how well."""

from __future__ import annotations

import csv
import json
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from policies.engine import evaluate
from policies.model import ArticleFacts, AuthorFacts, CommentFacts, Decision, Policy

Scorer = Callable[[Sequence[str]], list[dict[str, float]]]

POSITIVE = frozenset({"1", "true", "yes", "toxic", "bad", "hold", "held", "reject", "rejected"})
NEGATIVE = frozenset({"0", "false", "no", "ok", "clean", "good", "publish", "published"})
SCORE_PREFIX = "score_"
_AUTHOR = {
    "author_status": ("status", str),
    "author_account_age_days": ("account_age_days", float),
    "author_approved_count": ("approved_count", int),
    "author_rejected_count": ("rejected_count", int),
    "author_recent_rejection_rate": ("recent_rejection_rate", float),
    "author_is_first_comment": ("is_first_comment", "bool"),
}
_ARTICLE = {
    "article_section": ("section", str),
    "article_premoderated": ("premoderated", "bool"),
    "article_age_days": ("age_days", float),
}


class ReplayError(ValueError):
    """The labelled input cannot be read; the message names the row."""


@dataclass(frozen=True)
class LabelledComment:
    facts: CommentFacts
    label: bool  # True: a person would hold or reject it
    category_labels: Mapping[str, bool]
    scores: Mapping[str, float] | None


@dataclass(frozen=True)
class Metrics:
    flagged: int
    true_positives: int
    positives: int

    @property
    def precision(self) -> float | None:
        return self.true_positives / self.flagged if self.flagged else None

    @property
    def recall(self) -> float | None:
        return self.true_positives / self.positives if self.positives else None

    def to_dict(self) -> dict[str, Any]:
        return {
            "flagged": self.flagged,
            "true_positives": self.true_positives,
            "positives": self.positives,
            "precision": self.precision,
            "recall": self.recall,
        }


@dataclass(frozen=True)
class Report:
    policy: str
    version: str
    counts: Mapping[str, int]
    overall: Metrics
    per_reason: Mapping[str, Metrics]
    decisions: tuple[Decision, ...] = field(repr=False)

    def to_dict(self) -> dict[str, Any]:
        return {
            "policy": self.policy,
            "version": self.version,
            "counts": dict(self.counts),
            "overall": self.overall.to_dict(),
            "per_reason": {reason: metrics.to_dict() for reason, metrics in self.per_reason.items()},
        }


def _flag(value: str, row: int, column: str) -> bool:
    folded = value.strip().casefold()
    if folded in POSITIVE:
        return True
    if folded in NEGATIVE:
        return False
    raise ReplayError(f"row {row}: {column} {value!r} is not a label (use 1/0, toxic/ok, hold/publish)")


def _typed(value: str, kind: object, row: int, column: str) -> object:
    try:
        if kind == "bool":
            return _flag(value, row, column)
        return kind(value) if callable(kind) else value
    except ValueError as error:
        raise ReplayError(f"row {row}: {column} {value!r}: {error}") from None


def read_labelled(path: Path, categories: Iterable[str], scores_column: str | None = None) -> list[LabelledComment]:
    """Read `text,label` rows, with optional category labels, score_<category>, author and article columns."""
    categories = frozenset(categories)
    comments = []
    with path.open(newline="", encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        columns = set(reader.fieldnames or ())
        missing = {"text", "label"} - columns
        if missing:
            raise ReplayError(f"{path}: missing column(s) {', '.join(sorted(missing))}")
        score_columns = {c.removeprefix(SCORE_PREFIX): c for c in columns if c.startswith(SCORE_PREFIX)}
        for row_number, row in enumerate(reader, start=2):
            author = {
                name: _typed(row[column], kind, row_number, column)
                for column, (name, kind) in _AUTHOR.items()
                if row.get(column) not in (None, "")
            }
            article = {
                name: _typed(row[column], kind, row_number, column)
                for column, (name, kind) in _ARTICLE.items()
                if row.get(column) not in (None, "")
            }
            scores: dict[str, float] | None = None
            if scores_column:
                try:
                    scores = {str(k): float(v) for k, v in json.loads(row.get(scores_column) or "{}").items()}
                except (ValueError, AttributeError) as error:
                    raise ReplayError(f"row {row_number}: {scores_column} is not a JSON object: {error}") from None
            elif score_columns:
                scores = {
                    category: float(str(_typed(row[column], float, row_number, column)))
                    for category, column in score_columns.items()
                    if row.get(column) not in (None, "")
                }
            comments.append(
                LabelledComment(
                    facts=CommentFacts(
                        row["text"],
                        AuthorFacts(**author),  # type: ignore[arg-type]
                        ArticleFacts(**article),  # type: ignore[arg-type]
                        row.get("language") or None,
                    ),
                    label=_flag(row["label"], row_number, "label"),
                    category_labels={
                        c: _flag(row[c], row_number, c) for c in categories & columns if row.get(c) not in (None, "")
                    },
                    scores=scores,
                )
            )
    return comments


def score_all(comments: Sequence[LabelledComment], scorer: Scorer | None) -> list[Mapping[str, float]]:
    """Scores from the input where given; the rest from the scorer (the classifier), in one batch."""
    unscored = [index for index, comment in enumerate(comments) if comment.scores is None]
    if unscored and scorer is None:
        raise ReplayError("the input has no scores and no classifier is available")
    fresh = scorer([comments[index].facts.text for index in unscored]) if unscored and scorer else []
    by_index = dict(zip(unscored, fresh, strict=True))
    return [comment.scores if comment.scores is not None else by_index[i] for i, comment in enumerate(comments)]


def replay(policy: Policy, comments: Sequence[LabelledComment], scores: Sequence[Mapping[str, float]]) -> Report:
    decisions = tuple(evaluate(policy, c.facts, s) for c, s in zip(comments, scores, strict=True))
    counts = Counter({"publish": 0, "hold": 0, "reject": 0})
    counts.update(decision.action for decision in decisions)
    flagged = [decision.action != "publish" for decision in decisions]
    overall = Metrics(
        flagged=sum(flagged),
        true_positives=sum(1 for f, c in zip(flagged, comments, strict=True) if f and c.label),
        positives=sum(1 for c in comments if c.label),
    )
    per_reason: dict[str, Metrics] = {}
    reasons = sorted({reason for d in decisions if d.action != "publish" for reason in d.reasons})
    for reason in reasons:
        # A reason named like a category label column is judged against that column, else the overall label.
        truth = [c.category_labels.get(reason, c.label) for c in comments]
        hits = [d.action != "publish" and reason in d.reasons for d in decisions]
        per_reason[reason] = Metrics(
            flagged=sum(hits),
            true_positives=sum(1 for h, t in zip(hits, truth, strict=True) if h and t),
            positives=sum(truth),
        )
    return Report(policy.name, policy.version, dict(counts), overall, per_reason, decisions)


def changes(before: Report, after: Report) -> dict[str, int]:
    """How many comments move from one action to another ("publish -> hold": 3)."""
    moved = Counter(
        f"{old.action} -> {new.action}"
        for old, new in zip(before.decisions, after.decisions, strict=True)
        if old.action != new.action
    )
    return dict(sorted(moved.items()))
