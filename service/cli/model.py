"""`moderation model`: show the active scoring model and score texts with it (for checking thresholds)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import TextIO

import click

from service.cli.context import settings
from workers.classifier import Classifier, ClassifierError, get_classifier

# Lines read per call to score(); the classifier batches within it by its own size and token bounds.
_CHUNK_LINES = 256


def _classifier() -> Classifier:
    try:
        return get_classifier(settings().model)
    except ClassifierError as exc:
        raise click.ClickException(str(exc)) from None


@click.group()
def model() -> None:
    """Inspect and try the toxicity model that workers use."""


@model.command()
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
def info(as_json: bool) -> None:
    """Print the active model's name, version (sha256) and classes."""
    active = _classifier().info
    if as_json:
        click.echo(json.dumps({"name": active.name, "version": active.version, "classes": list(active.classes)}))
        return
    click.echo(f"model:   {active.name}")
    click.echo(f"version: {active.version}")
    click.echo(f"classes: {', '.join(active.classes)}")


def _read_texts(stream: TextIO) -> Iterator[list[str]]:
    chunk: list[str] = []
    for number, line in enumerate(stream, start=1):
        try:
            text = json.loads(line)
        except json.JSONDecodeError as exc:
            raise click.ClickException(f"line {number}: not JSON ({exc.msg})") from None
        if not isinstance(text, str):
            raise click.ClickException(f"line {number}: expected a JSON string, got {type(text).__name__}")
        chunk.append(text)
        if len(chunk) >= _CHUNK_LINES:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


@model.command()
@click.argument("text", required=False)
@click.option(
    "--input",
    "input_file",
    type=click.File("r", encoding="utf-8"),
    help="Read one JSON string per line ('-' for stdin); write one JSON object of scores per line.",
)
def score(text: str | None, input_file: TextIO | None) -> None:
    """Print the category scores of TEXT, or of every line of --input, in order."""
    if (text is None) == (input_file is None):
        raise click.UsageError("give either TEXT or --input FILE (use - for stdin)")
    classifier = _classifier()
    try:
        if text is not None:
            click.echo(json.dumps(classifier.score([text])[0]))
            return
        assert input_file is not None
        for chunk in _read_texts(input_file):
            for scores in classifier.score(chunk):
                click.echo(json.dumps(scores))
    except ClassifierError as exc:
        raise click.ClickException(str(exc)) from None
