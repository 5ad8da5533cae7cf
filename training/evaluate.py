"""Evaluate a Detoxify-format model on the held-out split against a TF-IDF baseline (`python -m training.evaluate`)."""

from __future__ import annotations

import argparse
import json
import math
import sys
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

import structlog

from training import data, identity

log = structlog.get_logger()

# The default policy's hold threshold for toxicity (policies/default.yaml).
DEFAULT_THRESHOLD = 0.7
# Per-source AUCs need both classes; below this many positives a figure is printed but flagged as noisy.
MIN_POSITIVES = 30


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data-dir", type=Path, default=data.DEFAULT_DATA_DIR)
    parser.add_argument("--checkpoint", type=Path, default=None, help="evaluate this checkpoint instead")
    parser.add_argument("--config-dir", type=Path, default=None, help="its Hugging Face config folder")
    parser.add_argument("--no-quantize", action="store_true", help="bundled model in fp32 (as trained)")
    parser.add_argument("--threshold", type=float, default=DEFAULT_THRESHOLD, help="toxicity hold threshold")
    parser.add_argument("--skip-baseline", action="store_true")
    parser.add_argument("--limit", type=int, default=None, help="score only the first N validation texts")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--json-out", type=Path, default=None, help="also write the figures as JSON")
    return parser.parse_args(argv)


def load_model(args: argparse.Namespace) -> Any:
    from service.settings import ModelSettings
    from workers.bundled_model import build
    from workers.classifier import load_classifier

    if args.checkpoint is not None:
        settings = ModelSettings(
            name="checkpoint",
            checkpoint_path=args.checkpoint,
            config_dir=args.config_dir,
            torch_threads=args.threads,
        )
    elif args.no_quantize:
        # The same bundled weights, loaded as a plain checkpoint (the bundled path adds int8 quantisation).
        settings = ModelSettings(
            name="checkpoint",
            checkpoint_path=build.build(),
            config_dir=build.HF_CONFIG_DIR,
            torch_threads=args.threads,
        )
    else:
        settings = ModelSettings(name="bundled", torch_threads=args.threads)
    return load_classifier(settings)


def auc(labels: list[int], scores: list[float]) -> float | None:
    from sklearn.metrics import roc_auc_score

    if len(set(labels)) < 2:
        return None
    return float(roc_auc_score(labels, scores))


def tfidf_baseline(train: list[data.Example], texts: list[str]) -> list[float]:
    """Word 1-2-gram and character 2-5-gram TF-IDF with logistic regression on the binarised toxicity label."""
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline, make_union

    known = [e for e in train if not math.isnan(e.targets[0])]
    pipeline = make_pipeline(
        make_union(
            TfidfVectorizer(ngram_range=(1, 2), min_df=2, sublinear_tf=True, max_features=200_000),
            TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), min_df=3, sublinear_tf=True, max_features=200_000),
        ),
        LogisticRegression(C=4.0, max_iter=2000),
    )
    pipeline.fit([e.text for e in known], [int(e.targets[0] >= 0.5) for e in known])
    return [float(p) for p in pipeline.predict_proba(texts)[:, 1]]


def score_texts(classifier: Any, texts: list[str], chunk: int = 256) -> list[dict[str, float]]:
    scores: list[dict[str, float]] = []
    started = time.monotonic()
    for start in range(0, len(texts), chunk):
        scores.extend(classifier.score(texts[start : start + chunk]))
        if (start // chunk) % 10 == 0:
            log.info(
                "evaluate.scoring", done=len(scores), total=len(texts), seconds=round(time.monotonic() - started, 1)
            )
    return scores


def evaluate(args: argparse.Namespace) -> dict[str, Any]:
    import torch

    torch.set_num_threads(args.threads)
    splits = data.split(data.load_all(args.data_dir))
    validation = splits.validation[: args.limit] if args.limit else splits.validation
    log.info("evaluate.data", train=len(splits.train), validation=len(validation))
    classifier = load_model(args)
    texts = [e.text for e in validation]
    started = time.monotonic()
    scores = score_texts(classifier, texts)
    scoring_seconds = time.monotonic() - started

    report: dict[str, Any] = {
        "model": {
            "name": classifier.info.name,
            "version": classifier.info.version,
            "quantized": classifier.info.name == "bundled",
        },
        "validation_examples": len(validation),
        "threshold": args.threshold,
    }
    baseline = None if args.skip_baseline else tfidf_baseline(splits.train, texts)

    # toxicity per source and pooled, model vs baseline
    groups: dict[str, list[int]] = defaultdict(list)
    for i, e in enumerate(validation):
        if not math.isnan(e.targets[0]):
            groups[e.source].append(i)
            groups["pooled"].append(i)
    toxicity: dict[str, Any] = {}
    for source in sorted(groups, key=lambda s: (s == "pooled", s)):
        idx = groups[source]
        labels = [int(validation[i].targets[0] >= 0.5) for i in idx]
        toxicity[source] = {
            "n": len(idx),
            "positives": sum(labels),
            "model_auc": auc(labels, [scores[i]["toxicity"] for i in idx]),
            "baseline_auc": None if baseline is None else auc(labels, [baseline[i] for i in idx]),
        }
    report["toxicity"] = toxicity

    # other classes, pooled and per source, wherever a source labels them
    classes: dict[str, Any] = {}
    for c, name in enumerate(data.CLASSES[1:], start=1):
        per: dict[str, list[int]] = defaultdict(list)
        for i, e in enumerate(validation):
            if not math.isnan(e.targets[c]):
                per[e.source].append(i)
                per["pooled"].append(i)
        classes[name] = {}
        for source in sorted(per, key=lambda s: (s == "pooled", s)):
            idx = per[source]
            labels = [int(validation[i].targets[c] >= 0.5) for i in idx]
            classes[name][source] = {
                "n": len(idx),
                "positives": sum(labels),
                "model_auc": auc(labels, [scores[i][name] for i in idx]),
            }
    report["classes"] = classes

    # operating point of the hold threshold on the pooled validation split
    idx = groups["pooled"]
    labels = [int(validation[i].targets[0] >= 0.5) for i in idx]
    held = [scores[i]["toxicity"] >= args.threshold for i in idx]
    tp = sum(1 for y, h in zip(labels, held, strict=True) if y and h)
    fp = sum(1 for y, h in zip(labels, held, strict=True) if not y and h)
    report["operating_point"] = {
        "precision": tp / max(1, tp + fp),
        "recall": tp / max(1, sum(labels)),
        "false_positive_rate": fp / max(1, len(labels) - sum(labels)),
    }

    # the same at other thresholds, to pick the policy's hold threshold
    table = []
    for cut in (0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9):
        held = [scores[i]["toxicity"] >= cut for i in idx]
        tp = sum(1 for y, h in zip(labels, held, strict=True) if y and h)
        fp = sum(1 for y, h in zip(labels, held, strict=True) if not y and h)
        table.append(
            {
                "threshold": cut,
                "precision": tp / max(1, tp + fp),
                "recall": tp / max(1, sum(labels)),
                "false_positive_rate": fp / max(1, len(labels) - sum(labels)),
            }
        )
    report["threshold_table"] = table

    # clean identity mentions: how many would be held at the threshold
    sentences = identity.evaluation_sentences()
    identity_scores = [s["toxicity"] for s in classifier.score(sentences)]
    by_term: dict[str, list[float]] = defaultdict(list)
    for text, value in zip(sentences, identity_scores, strict=True):
        for term in identity.IDENTITIES:
            if f" {term.lower()} " in f" {text.lower().rstrip('.')} ":
                by_term[term].append(value)
    worst = sorted(((max(v), t) for t, v in by_term.items()), reverse=True)[:5]
    report["identity"] = {
        "sentences": len(sentences),
        "fpr_at_threshold": sum(v >= args.threshold for v in identity_scores) / len(sentences),
        "fpr_at_0.5": sum(v >= 0.5 for v in identity_scores) / len(sentences),
        "mean_toxicity": sum(identity_scores) / len(sentences),
        "worst_terms_max_toxicity": {t: round(v, 3) for v, t in worst},
    }
    report["scoring_comments_per_s"] = len(texts) / scoring_seconds
    return report


def _fmt(value: float | None) -> str:
    return "  n/a" if value is None else f"{value:.3f}"


def print_report(report: dict[str, Any]) -> None:
    model = report["model"]
    print(f"model {model['name']} version {model['version'][:12]} quantized={model['quantized']}")
    print(f"validation examples: {report['validation_examples']}")
    print("\ntoxicity ROC-AUC (validation split)")
    print(f"{'source':22} {'n':>6} {'pos':>6} {'model':>7} {'tfidf+lr':>9}")
    for source, row in report["toxicity"].items():
        noisy = " (few positives)" if row["positives"] < MIN_POSITIVES else ""
        print(
            f"{source:22} {row['n']:>6} {row['positives']:>6} {_fmt(row['model_auc']):>7} "
            f"{_fmt(row['baseline_auc']):>9}{noisy}"
        )
    print("\nother classes ROC-AUC (sources that label them)")
    for name, rows in report["classes"].items():
        parts = [
            f"{s}={_fmt(r['model_auc'])} ({r['positives']}/{r['n']})"
            for s, r in rows.items()
            if r["model_auc"] is not None
        ]
        print(f"{name:16} " + "; ".join(parts))
    op = report["operating_point"]
    print(
        f"\ntoxicity >= {report['threshold']}: precision {op['precision']:.3f}, recall {op['recall']:.3f}, "
        f"false-positive rate {op['false_positive_rate']:.3f} (pooled validation)"
    )
    for row in report["threshold_table"]:
        print(
            f"  at {row['threshold']:.1f}: precision {row['precision']:.3f}, recall {row['recall']:.3f}, "
            f"FPR {row['false_positive_rate']:.3f}"
        )
    ident = report["identity"]
    print(
        f"clean identity mentions ({ident['sentences']}): FPR {ident['fpr_at_threshold']:.3f} at "
        f"{report['threshold']}, {ident['fpr_at_0.5']:.3f} at 0.5, mean toxicity {ident['mean_toxicity']:.3f}; "
        f"highest by term {ident['worst_terms_max_toxicity']}"
    )
    print(f"scoring speed during evaluation: {report['scoring_comments_per_s']:.0f} comments/s")


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if not args.data_dir.is_dir():
        print(f"error: no data at {args.data_dir} (use --data-dir)", file=sys.stderr)
        return 1
    report = evaluate(args)
    print_report(report)
    if args.json_out:
        args.json_out.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
