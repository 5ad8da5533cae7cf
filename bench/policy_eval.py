"""Benchmark: rule evaluation per comment with 5,000 banned words and 50 regex rules (300-char comments)."""

from __future__ import annotations

import argparse
import platform
import random
import statistics
import tempfile
import time
from pathlib import Path

from policies import ArticleFacts, AuthorFacts, CommentFacts, evaluate, load_policy

SYLLABLES = ["ka", "lo", "mi", "ne", "ru", "sa", "ti", "vo", "ze", "qua", "dro", "plin", "stor", "gre", "bux"]
WORDS = [
    "the",
    "council",
    "said",
    "the",
    "new",
    "budget",
    "would",
    "fund",
    "schools",
    "roads",
    "and",
    "libraries",
    "while",
    "critics",
    "argued",
    "that",
    "taxes",
    "were",
    "already",
    "too",
    "high",
    "and",
    "the",
    "plan",
    "ignored",
    "rural",
    "towns",
    "readers",
    "wrote",
    "in",
    "to",
    "share",
    "their",
    "views",
    "about",
    "the",
    "match",
    "the",
    "weather",
    "the",
    "election",
    "and",
    "the",
    "long",
    "queues",
    "at",
    "the",
    "station",
    "this",
    "morning",
]
SPAM = [
    "cheap",
    "pills",
    "loans",
    "bitcoin",
    "followers",
    "winner",
    "prize",
    "offer",
    "discount",
    "limited",
    "deal",
    "casino",
    "bonus",
]
REGEXES = [
    r"(?i)buy\s+now", r"(?i)free\s+money", r"(?i)click\s+here", r"\b\d{3}[-.\s]?\d{3}[-.\s]?\d{4}\b",
    r"(?i)\bcasino\b", r"(?i)work\s+from\s+home", r"[A-Z]{12,}", r"(.)\1{9,}", r"(?i)\bviagra\b",
    r"(?i)crypto\s*(?:coin|token)s?", r"[\w.+-]+@[\w-]+\.[\w.]+",
]  # fmt: skip


def build_policy(folder: Path, banned: int, regexes: int, rng: random.Random) -> Path:
    words = {"".join(rng.choice(SYLLABLES) for _ in range(rng.randint(2, 4))) for _ in range(banned * 2)}
    (folder / "banned.txt").write_text("\n".join(sorted(words)[:banned]) + "\n")
    rules = [
        "  - {name: severe, reason: severe, action: reject, when: {score: 'severe_toxicity >= 0.8'}}",
        "  - {name: toxic, reason: toxicity, action: hold, when: {score: 'toxicity >= 0.7'}}",
        "  - {name: banned, reason: banned_word, action: reject, when: {words_of_kind: banned}}",
        "  - {name: links, reason: spam, action: hold, when: {links: '>= 2'}}",
        "  - {name: caps, reason: shouting, action: hold, when: {caps_ratio: '>= 0.8'}}",
        "  - {name: long, reason: long, action: hold, when: {length: '> 280'}}",
    ]
    phrases = [(rng.choice(SPAM), rng.choice(SPAM)) for _ in range(regexes)]
    for number in range(regexes):
        # A few structural patterns, the rest distinct spam phrases as editors write them.
        if number < len(REGEXES):
            pattern = REGEXES[number]
        else:
            first, second = phrases[number]
            pattern = rf"(?i)\b{first}\W+(?:\w+\W+)?{second}\b"
        pattern = pattern.replace("'", "''")
        rules.append(f"  - {{name: re_{number}, reason: pattern, action: hold, when: {{regex: '{pattern}'}}}}")
    path = folder / "bench.yaml"
    path.write_text("word_lists:\n  banned: {kind: banned, file: banned.txt}\nrules:\n" + "\n".join(rules) + "\n")
    return path


def comment(rng: random.Random, length: int) -> str:
    parts: list[str] = []
    while sum(len(p) + 1 for p in parts) < length:
        parts.append(rng.choice(WORDS))
    return " ".join(parts)[:length]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--banned", type=int, default=5000)
    parser.add_argument("--regexes", type=int, default=50)
    parser.add_argument("--comments", type=int, default=2000)
    parser.add_argument("--length", type=int, default=300)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    rng = random.Random(6)
    with tempfile.TemporaryDirectory() as folder:
        started = time.perf_counter()
        policy = load_policy(build_policy(Path(folder), args.banned, args.regexes, rng))
        load_ms = (time.perf_counter() - started) * 1000
    texts = [comment(rng, args.length) for _ in range(args.comments)]
    scores = {"toxicity": 0.2, "severe_toxicity": 0.01}
    facts = [CommentFacts(text, AuthorFacts(), ArticleFacts()) for text in texts]
    for item in facts[:100]:  # warm caches of per-character folding
        evaluate(policy, item, scores)
    per_comment_us, cpu_us = [], []
    for _ in range(args.repeats):
        # CPU time next to wall time: on a machine shared with other work, wall time includes waiting.
        started, cpu_started = time.perf_counter(), time.process_time()
        for item in facts:
            evaluate(policy, item, scores)
        per_comment_us.append((time.perf_counter() - started) / len(facts) * 1e6)
        cpu_us.append((time.process_time() - cpu_started) / len(facts) * 1e6)
    worst = []
    for item in facts[:500]:
        started = time.perf_counter()
        evaluate(policy, item, scores)
        worst.append((time.perf_counter() - started) * 1e6)
    worst.sort()
    print(f"python {platform.python_version()} on {platform.machine()}, {len(policy.rules)} rules, "
          f"{args.banned} banned words, {args.regexes} regex rules, {args.length}-char comments")  # fmt: skip
    print(f"policy load: {load_ms:.0f} ms")
    median = statistics.median(per_comment_us)
    print(f"per comment, mean of {args.comments} x {args.repeats} runs: median {median:.0f} us, "
          f"best {min(per_comment_us):.0f} us")  # fmt: skip
    print(f"per comment, CPU time: median {statistics.median(cpu_us):.0f} us, best {min(cpu_us):.0f} us")
    p50, p95 = worst[len(worst) // 2], worst[int(len(worst) * 0.95)]
    print(f"single comments (500): p50 {p50:.0f} us, p95 {p95:.0f} us, "
          f"max {worst[-1]:.0f} us")  # fmt: skip


if __name__ == "__main__":
    main()
