"""Measure scoring speed (comments/s, batch of 16 comments of ~60 tokens, 2 torch threads): raw
Detoxify.predict on the bundled checkpoint versus Classifier.score (which adds int8 quantisation)."""

from __future__ import annotations

import argparse
import os
import random
import statistics
import time
from collections.abc import Callable, Sequence

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

# Synthetic, neutral comment-like text; no real comments are needed to time a model.
SENTENCE = (
    "the council said on tuesday that the new bridge would open next spring after delays caused by "
    "flooding and a shortage of steel residents have asked for more buses and a safer crossing near "
    "the school while local shops hope the works end before the holiday season"
)
WORDS = tuple(SENTENCE.split(" "))


def make_comments(count: int, words: int, seed: int = 7) -> list[str]:
    rng = random.Random(seed)
    return [" ".join(rng.choice(WORDS) for _ in range(words)) for _ in range(count)]


def rate(fn: Callable[[Sequence[str]], object], batch: list[str], rounds: int) -> tuple[float, float]:
    fn(batch)  # warm-up: first call allocates and picks kernels
    speeds = []
    for _ in range(rounds):
        started = time.perf_counter()
        fn(batch)
        speeds.append(len(batch) / (time.perf_counter() - started))
    return statistics.median(speeds), max(speeds)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--batch", type=int, default=16)
    parser.add_argument("--words", type=int, default=58, help="about 60 tokens with [CLS]/[SEP]")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--rounds", type=int, default=30)
    args = parser.parse_args()

    import torch
    from detoxify import Detoxify

    from service.settings import ModelSettings
    from workers.bundled_model import build
    from workers.classifier import load_classifier

    torch.set_num_threads(args.threads)
    batch = make_comments(args.batch, args.words)
    checkpoint = build.build()
    raw = Detoxify(checkpoint=str(checkpoint), huggingface_config_path=str(build.HF_CONFIG_DIR))
    tokens = raw.tokenizer(batch, truncation=True, padding=True, return_tensors="pt")["input_ids"].shape[1]
    print(f"batch {args.batch} comments, {tokens} tokens each (padded), {torch.get_num_threads()} threads")
    median, best = rate(raw.predict, batch, args.rounds)
    print(f"Detoxify.predict (bundled, fp32):   median {median:6.1f} comments/s, best {best:6.1f}")
    classifier = load_classifier(ModelSettings(name="bundled", torch_threads=args.threads))
    median, best = rate(classifier.score, batch, args.rounds)
    print(f"Classifier.score (bundled, int8):    median {median:6.1f} comments/s, best {best:6.1f}")


if __name__ == "__main__":
    main()
