"""Load the shared toxicity sources, map their labels onto Detoxify's classes and split them reproducibly."""

from __future__ import annotations

import csv
import hashlib
import math
import re
import unicodedata
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

CLASSES: tuple[str, ...] = (
    "toxicity",
    "severe_toxicity",
    "obscene",
    "threat",
    "insult",
    "identity_attack",
)
NAN = math.nan
# Share of each source held out for validation, chosen by a hash of the normalised text.
VALIDATION_SHARE = 0.15
# Default location relative to the repository root (the data must never be copied into the repo).
DEFAULT_DATA_DIR = Path(__file__).resolve().parent.parent.parent / "shared" / "data" / "toxicity"

csv.field_size_limit(2**31 - 1)


@dataclass(frozen=True)
class Example:
    """One labelled text; a NaN target means the source says nothing about that class (masked in the loss)."""

    id: str
    source: str
    text: str
    targets: tuple[float, ...]


def _targets(**values: float) -> tuple[float, ...]:
    return tuple(values.get(name, NAN) for name in CLASSES)


def _clean(**values: float) -> tuple[float, ...]:
    # A text that annotators judged not toxic/offensive is taken as negative for every subtype too:
    # Detoxify's subtypes are subsets of toxicity (as in the Jigsaw data, where they only occur on toxic rows).
    return tuple(values.get(name, 0.0) for name in CLASSES)


_URL = re.compile(r"https?://\S+|www\.\S+")
_MENTION = re.compile(r"@\w+|<user>|<url>|\bRT\b", re.IGNORECASE)
_NON_WORD = re.compile(r"[\W_\d]+")


def normalise(text: str) -> str:
    """Key for near-duplicate detection: case, accents, mentions, links, digits and punctuation ignored."""
    text = unicodedata.normalize("NFKD", text)
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    text = _URL.sub(" ", text)
    text = _MENTION.sub(" ", text)
    return _NON_WORD.sub(" ", text.lower()).strip()


def is_validation(text: str) -> bool:
    """Stable split: the same (normalised) text always lands on the same side, in every source."""
    digest = hashlib.sha256(normalise(text).encode("utf-8")).digest()
    return int.from_bytes(digest[:8], "big") / 2**64 < VALIDATION_SHARE


def _read_csv(path: Path) -> Iterator[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as handle:
        yield from csv.DictReader(handle)


def civil_comments_ballots(root: Path) -> dict[str, list[set[str] | None]]:
    """Toxic Spans (Civil Comments), per comment id: each annotator's ballot, None for "not toxic", else
    the span types they marked (possibly none)."""
    folder = root / "civil_comments_spans"
    span_types: dict[str, set[str]] = {}
    for row in _read_csv(folder / "spans.csv"):
        span_types.setdefault(row["annotation"], set()).add(row["type"].strip())
    votes: dict[str, list[set[str] | None]] = {}
    for row in _read_csv(folder / "annotations.csv"):
        types = span_types.get(row["annotation"], set())
        # An annotator counts as "toxic" when they marked spans, or flagged the whole post toxic without
        # also ticking "not toxic" (both flags together, with no span, is how the export encodes "not toxic").
        toxic = bool(types) or (row["all toxic"] == "True" and row["not toxic"] == "False")
        votes.setdefault(row["comment_id"], []).append(types if toxic else None)
    return votes


def civil_comments_texts(root: Path) -> dict[str, str]:
    return {row["comment_id"]: row["comment_text"] for row in _read_csv(root / "civil_comments_spans" / "comments.csv")}


def _civil_comments(root: Path) -> Iterator[Example]:
    """Toxic Spans (Civil Comments): soft labels = share of annotators who judged the comment toxic,
    and per subtype the share of annotators who marked a span of that type."""
    votes = civil_comments_ballots(root)
    type_to_class = {
        "Insult": "insult",
        "Threat": "threat",
        "Identity based Attack": "identity_attack",
        "Profane/Obscene": "obscene",
    }
    for comment_id, text in civil_comments_texts(root).items():
        ballots = votes.get(comment_id)
        if not ballots:
            continue
        n = len(ballots)
        values = {"toxicity": sum(b is not None for b in ballots) / n}
        for span_type, cls in type_to_class.items():
            values[cls] = sum(1 for b in ballots if b is not None and span_type in b) / n
        # Toxic Spans has no "severe" judgement; leave it unknown rather than guess.
        values["severe_toxicity"] = NAN
        yield Example(f"civil:{comment_id}", "civil_comments", text, _targets(**values))


def _jigsaw(root: Path) -> Iterator[Example]:
    folder = root / "jigsaw_binary"
    for i, row in enumerate(_read_csv(folder / "jigsaw_binary.csv")):
        if row["toxic"] == "1":
            yield Example(f"jigsaw_binary:{i}", "jigsaw", row["text"], _targets(toxicity=1.0))
        else:
            yield Example(f"jigsaw_binary:{i}", "jigsaw", row["text"], _clean())
    with (folder / "jigsaw_clean_extra_truncated.csv").open(newline="", encoding="utf-8") as handle:
        for i, fields in enumerate(csv.reader(handle)):
            # The file's last row is cut mid-text and has no label: skip anything malformed.
            if len(fields) == 2 and fields[1] == "0":
                yield Example(f"jigsaw_clean:{i}", "jigsaw", fields[0], _clean())
    names = {
        "toxic": "toxicity",
        "severe_toxic": "severe_toxicity",
        "obscene": "obscene",
        "threat": "threat",
        "insult": "insult",
        "identity_hate": "identity_attack",
    }
    for path in sorted((root / "jigsaw_multilabel_samples").glob("*.csv")):
        for i, row in enumerate(_read_csv(path)):
            values = {cls: float(row[col]) for col, cls in names.items()}
            yield Example(f"jigsaw_multi:{path.stem}:{i}", "jigsaw", row["comment_text"], _targets(**values))


def _context(root: Path) -> Iterator[Example]:
    folder = root / "context_toxicity"
    for name in ("gc", "gn"):
        for row in _read_csv(folder / "CAT_LARGE" / f"{name}.csv"):
            label = float(row["label"])
            targets = _targets(toxicity=1.0) if label else _clean()
            yield Example(f"context_{name}:{row['id']}", "context_toxicity", row["text"], targets)
    for i, row in enumerate(_read_csv(folder / "CAT_SMALL" / "cat_small.csv")):
        # label_oc: judged without the parent post, which is how the service sees a comment.
        targets = _targets(toxicity=1.0) if row["label_oc"] == "1" else _clean()
        yield Example(f"context_small:{i}", "context_toxicity", row["text"], targets)


def _davidson(root: Path) -> Iterator[Example]:
    """Soft labels from annotator counts: hate or offensive -> toxicity; hate -> identity_attack."""
    for row in _read_csv(root / "davidson" / "labeled_data.csv"):
        count = float(row["count"])
        hate = float(row["hate_speech"]) / count
        offensive = float(row["offensive_language"]) / count
        targets = _targets(toxicity=hate + offensive, identity_attack=hate)
        yield Example(f"davidson:{row['']}", "davidson", row["tweet"], targets)


def _hatexplain(root: Path) -> Iterator[Example]:
    for split in ("train", "valid"):
        with (root / "hatexplain" / f"{split}.tsv").open(encoding="utf-8") as handle:
            for i, line in enumerate(handle):
                label, _, text = line.rstrip("\n").partition("\t")
                if label == "hatespeech":
                    targets = _targets(toxicity=1.0, identity_attack=1.0)
                elif label == "offensive":
                    # Offensive posts may still target a group; say nothing about identity_attack.
                    targets = _targets(toxicity=1.0)
                elif label == "normal":
                    targets = _clean()
                else:
                    continue  # header row
                yield Example(f"hatexplain:{split}:{i}", "hatexplain", text, targets)


def _tweeteval(root: Path) -> Iterator[Example]:
    for task in ("offensive", "hate"):
        for split in ("train", "val"):
            folder = root / "tweeteval" / task
            texts = (folder / f"{split}_text.txt").read_text(encoding="utf-8").split("\n")
            labels = (folder / f"{split}_labels.txt").read_text(encoding="utf-8").split("\n")
            for i, (text, label) in enumerate(zip(texts, labels, strict=False)):
                if label not in ("0", "1") or not text.strip():
                    continue
                if task == "offensive":
                    targets = _targets(toxicity=1.0) if label == "1" else _clean()
                elif label == "1":
                    targets = _targets(toxicity=1.0, identity_attack=1.0)
                else:
                    # HatEval "not hate" still includes plainly offensive tweets: only identity_attack is known.
                    targets = _targets(identity_attack=0.0)
                yield Example(f"tweeteval_{task}:{split}:{i}", f"tweeteval_{task}", text, targets)


def _stormfront(root: Path) -> Iterator[Example]:
    for row in _read_csv(root / "stormfront" / "stormfront_sentences.csv"):
        if row["label"] == "hate":
            targets = _targets(toxicity=1.0, identity_attack=1.0)
        elif row["label"] == "noHate":
            targets = _clean()
        else:
            continue  # "relation" (needs neighbouring sentences) and "idk/skip" carry no usable label
        yield Example(f"stormfront:{row['file_id']}", "stormfront", row["text"], targets)


LOADERS = (_civil_comments, _jigsaw, _context, _davidson, _hatexplain, _tweeteval, _stormfront)


def load_all(root: Path) -> list[Example]:
    examples: list[Example] = []
    for loader in LOADERS:
        examples.extend(loader(root))
    return examples


@dataclass(frozen=True)
class Splits:
    train: list[Example]
    validation: list[Example]
    dropped_duplicates: int


def split(examples: list[Example]) -> Splits:
    """Hash split, then dedupe: one example per normalised text and side (the first seen wins),
    so a text and its near-copies never sit on both sides and never count twice."""
    seen: set[tuple[bool, str]] = set()
    train: list[Example] = []
    validation: list[Example] = []
    dropped = 0
    for example in examples:
        key = normalise(example.text)
        if not key:
            dropped += 1
            continue
        side = is_validation(example.text)
        if (side, key) in seen:
            dropped += 1
            continue
        seen.add((side, key))
        (validation if side else train).append(example)
    return Splits(train, validation, dropped)


def describe(examples: list[Example]) -> dict[str, int]:
    return dict(sorted(Counter(e.source for e in examples).items()))
