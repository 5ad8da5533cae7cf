"""`moderation policy`: check policy files, try one on a text, replay it over labelled comments."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import click

import policies
from policies import (
    DETOXIFY_CATEGORIES,
    ArticleFacts,
    AuthorFacts,
    CommentFacts,
    Decision,
    Policy,
    PolicyError,
    evaluate,
    load_policy,
)
from policies.model import AUTHOR_STATUSES
from policies.replay import ReplayError, Report, changes, read_labelled, replay, score_all

POLICIES_DIR = Path(policies.__file__).parent

_categories_option = click.option(
    "--category",
    "categories",
    multiple=True,
    help="A class the active model outputs (repeat); default: Detoxify's six.",
)


def _known(categories: Sequence[str]) -> frozenset[str]:
    return frozenset(categories) if categories else DETOXIFY_CATEGORIES


def _load(path: Path, categories: Sequence[str]) -> Policy:
    try:
        return load_policy(path, _known(categories))
    except PolicyError as error:
        for issue in error.errors:
            click.echo(str(issue), err=True)
        raise click.exceptions.Exit(1) from None


def _classifier() -> Any:
    # Imported here: loading the model is slow and only needed when no scores were given.
    from service.settings import load_settings
    from workers.classifier import get_classifier

    return get_classifier(load_settings().model)


def _classifier_scores(texts: Sequence[str]) -> list[dict[str, float]]:
    scores: list[dict[str, float]] = _classifier().score(list(texts))
    return scores


def _model_categories(categories: tuple[str, ...], from_model: bool) -> tuple[str, ...]:
    """Categories to check score rules against: given ones, else the configured model's, else Detoxify's."""
    if categories or not from_model:
        return categories
    return tuple(_classifier().info.classes)


_from_model_option = click.option(
    "--from-model",
    is_flag=True,
    help="Check score categories against the configured model's classes (loads it).",
)


@click.group()
def policy() -> None:
    """Policy files: check, test on one text, replay over labelled comments."""


@policy.command()
@click.argument("files", nargs=-1, type=click.Path(path_type=Path, dir_okay=False))
@_categories_option
@_from_model_option
def check(files: tuple[Path, ...], categories: tuple[str, ...], from_model: bool) -> None:
    """Validate policy files (default: every file in the policies folder); exit 1 on any error."""
    categories = _model_categories(categories, from_model)
    paths = files or tuple(sorted(POLICIES_DIR.glob("*.yaml")))
    failed = False
    for path in paths:
        try:
            loaded = load_policy(path, _known(categories))
        except PolicyError as error:
            failed = True
            for issue in error.errors:
                click.echo(str(issue), err=True)
            continue
        click.echo(f"ok {path} ({len(loaded.rules)} rules, version {loaded.version[:12]})")
    if failed:
        raise click.exceptions.Exit(1)


def _show(decision: Decision, text: str, scores: dict[str, float]) -> None:
    click.echo(f"action: {decision.action}")
    click.echo(f"reasons: {', '.join(decision.reasons) or '-'}")
    click.echo("scores: " + ", ".join(f"{k}={v:.3f}" for k, v in sorted(scores.items())))
    for rule in decision.matched:
        # The editor is looking at their own text here, so showing the matched part is wanted.
        where = "; ".join(f"{start}-{end} {text[start:end]!r}" for start, end in rule.spans)
        click.echo(f"  matched {rule.name}: {rule.action} ({rule.reason}){' at ' + where if where else ''}")
    click.echo(f"policy version: {decision.policy_version}")


@policy.command()
@click.argument("file", type=click.Path(path_type=Path, dir_okay=False))
@click.option("--text", required=True, help="The comment text to decide on.")
@click.option("--scores", "scores_json", help="Model scores as JSON, e.g. '{\"toxicity\": 0.9}'.")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
@click.option("--language", help="Language of the comment, if known.")
@click.option("--author-status", type=click.Choice(sorted(AUTHOR_STATUSES)), default="active")
@click.option("--author-account-age-days", type=float)
@click.option("--author-approved-count", type=int, default=0)
@click.option("--author-rejected-count", type=int, default=0)
@click.option("--author-recent-rejection-rate", type=float, default=0.0)
@click.option("--author-first-comment", is_flag=True)
@click.option("--article-section")
@click.option("--article-premoderated", is_flag=True)
@click.option("--article-age-days", type=float)
@_categories_option
def test(
    file: Path,
    text: str,
    scores_json: str | None,
    as_json: bool,
    language: str | None,
    author_status: str,
    author_account_age_days: float | None,
    author_approved_count: int,
    author_rejected_count: int,
    author_recent_rejection_rate: float,
    author_first_comment: bool,
    article_section: str | None,
    article_premoderated: bool,
    article_age_days: float | None,
    categories: tuple[str, ...],
) -> None:
    """Show the decision and every matched rule for one text."""
    # Without given scores the model runs anyway, so its classes are the ones to check against.
    loaded = _load(file, _model_categories(categories, from_model=scores_json is None))
    if scores_json is not None:
        try:
            raw: Any = json.loads(scores_json)
            scores = {str(key): float(value) for key, value in raw.items()}
        except (ValueError, AttributeError, TypeError) as error:
            raise click.BadParameter(f"not a JSON object of numbers: {error}", param_hint="--scores") from None
    else:
        scores = _classifier_scores([text])[0]
    facts = CommentFacts(
        text,
        AuthorFacts(
            author_status,
            author_account_age_days,
            author_approved_count,
            author_rejected_count,
            author_recent_rejection_rate,
            author_first_comment,
        ),
        ArticleFacts(article_section, article_premoderated, article_age_days),
        language,
    )
    decision = evaluate(loaded, facts, scores)
    if as_json:
        click.echo(json.dumps({**decision.to_dict(), "scores": scores}, sort_keys=True))
    else:
        _show(decision, text, scores)


def _percent(value: float | None) -> str:
    return "-" if value is None else f"{value:.1%}"


def _print_report(report: Report) -> None:
    counts = report.counts
    click.echo(
        f"{report.policy} ({report.version[:12]}): published {counts['publish']}, "
        f"held {counts['hold']}, rejected {counts['reject']}"
    )
    overall = report.overall
    click.echo(f"  hold+reject: precision {_percent(overall.precision)}, recall {_percent(overall.recall)}")
    for reason, metrics in report.per_reason.items():
        click.echo(
            f"  {reason}: {metrics.flagged} flagged, precision {_percent(metrics.precision)}, "
            f"recall {_percent(metrics.recall)}"
        )


@policy.command("replay")
@click.argument("file", type=click.Path(path_type=Path, dir_okay=False))
@click.option("--input", "input_path", required=True, type=click.Path(path_type=Path, dir_okay=False, exists=True))
@click.option("--against", type=click.Path(path_type=Path, dir_okay=False), help="Another policy to compare with.")
@click.option("--scores-column", help="A column holding each comment's scores as JSON.")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
@_categories_option
@_from_model_option
def replay_command(
    file: Path,
    input_path: Path,
    against: Path | None,
    scores_column: str | None,
    as_json: bool,
    categories: tuple[str, ...],
    from_model: bool,
) -> None:
    """Run the policy over labelled comments (CSV: text,label[,score_<category>...]) and report."""
    categories = _model_categories(categories, from_model)
    loaded = _load(file, categories)
    other = _load(against, categories) if against else None
    try:
        comments = read_labelled(input_path, _known(categories), scores_column)
        scores = score_all(comments, _classifier_scores)
    except ReplayError as error:
        raise click.ClickException(str(error)) from None
    report = replay(loaded, comments, scores)
    baseline = replay(other, comments, scores) if other else None
    if as_json:
        result: dict[str, Any] = {"comments": len(comments), "policy": report.to_dict()}
        if baseline:
            result["against"] = baseline.to_dict()
            result["changes"] = changes(baseline, report)
        click.echo(json.dumps(result, sort_keys=True))
        return
    click.echo(f"{len(comments)} comments")
    _print_report(report)
    if baseline:
        _print_report(baseline)
        moved = changes(baseline, report)
        click.echo(f"changes from {baseline.policy} to {report.policy}:")
        for move, count in moved.items() or [("none", 0)]:
            click.echo(f"  {move}: {count}")
