"""Score comment texts with a Detoxify model chosen by settings; the only module that touches torch/detoxify."""

from __future__ import annotations

import contextlib
import gc
import hashlib
import os
import tempfile
import threading
import time
import warnings
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import structlog

from service.settings import ModelSettings

log = structlog.get_logger()

BUNDLED = "bundled"
CHECKPOINT = "checkpoint"
DETOXIFY_NAMES: tuple[str, ...] = ("original", "unbiased", "multilingual", "original-small", "unbiased-small")


class ClassifierError(RuntimeError):
    """The configured model cannot be loaded or cannot score."""


@dataclass(frozen=True)
class ModelInfo:
    name: str
    version: str  # sha256 hex of the checkpoint file (or of the bundled artifact)
    classes: tuple[str, ...]


def _offline() -> None:
    # Nothing may be fetched from a model hub at run time; these must be set before transformers is imported.
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def make_batches(lengths: Sequence[int], max_batch_size: int, max_batch_tokens: int) -> list[list[int]]:
    """Group text indices into batches of at most `max_batch_size` texts and `max_batch_tokens` tokens.

    Indices are taken shortest first so each batch pads little; a text longer than the token budget on
    its own still gets a batch (of one), since the tokenizer has already bounded its length.
    """
    order = sorted(range(len(lengths)), key=lambda i: lengths[i])
    batches: list[list[int]] = []
    current: list[int] = []
    tokens = 0
    for index in order:
        length = lengths[index]
        if current and (len(current) >= max_batch_size or tokens + length > max_batch_tokens):
            batches.append(current)
            current, tokens = [], 0
        current.append(index)
        tokens += length
    if current:
        batches.append(current)
    return batches


class Classifier:
    """A loaded Detoxify model; `score` is safe to call from one thread at a time."""

    def __init__(self, detoxify: Any, info: ModelInfo, max_batch_size: int, max_batch_tokens: int) -> None:
        if max_batch_size < 1 or max_batch_tokens < 1:
            raise ClassifierError("max_batch_size and max_batch_tokens must be positive")
        self.info = info
        self._model = detoxify.model
        self._tokenizer = detoxify.tokenizer
        self._max_batch_size = max_batch_size
        self._max_batch_tokens = max_batch_tokens
        self._model.eval()

    @property
    def max_length(self) -> int:
        return int(self._tokenizer.model_max_length)

    def token_lengths(self, texts: Sequence[str]) -> list[int]:
        """Token counts after the model's own truncation (what each text costs in a batch)."""
        encoded = self._tokenizer(list(texts), truncation=True, add_special_tokens=True)["input_ids"]
        return [len(ids) for ids in encoded]

    def score(self, texts: Sequence[str]) -> list[dict[str, float]]:
        import torch

        if isinstance(texts, str):
            raise TypeError("score() takes a sequence of texts, not one string")
        texts = list(texts)
        if not texts:
            return []
        lengths = self.token_lengths(texts)
        results: list[dict[str, float] | None] = [None] * len(texts)
        with torch.inference_mode():
            for batch in make_batches(lengths, self._max_batch_size, self._max_batch_tokens):
                inputs = self._tokenizer([texts[i] for i in batch], truncation=True, padding=True, return_tensors="pt")
                probabilities = torch.sigmoid(self._model(**inputs)[0]).tolist()
                for i, row in zip(batch, probabilities, strict=True):
                    results[i] = dict(zip(self.info.classes, (float(p) for p in row), strict=True))
        return [r for r in results if r is not None]


@contextlib.contextmanager
def _resolvable_model_type(checkpoint: Path, config_dir: Path) -> Iterator[None]:
    """Detoxify reads the HF config from the checkpoint's `config.arch.args.model_type` before it looks at
    `huggingface_config_path`. When that name is not a local folder (e.g. `bert-base-uncased` in an
    upstream checkpoint), load from a temporary working directory where that name links to `config_dir`,
    which keeps Detoxify unmodified and the load offline."""
    import torch

    try:
        try:
            # mmap reads only the small config entry of a large checkpoint...
            loaded = torch.load(checkpoint, map_location="cpu", weights_only=False, mmap=True)
        except RuntimeError:
            # ...but needs the zip format; older (legacy-format) checkpoints are read whole.
            loaded = torch.load(checkpoint, map_location="cpu", weights_only=False)
        model_type = str(loaded["config"]["arch"]["args"]["model_type"])
    except Exception as error:  # any unreadable file gets the same clear message
        raise ClassifierError(
            f"{checkpoint} is not a Detoxify checkpoint (needs config.arch.args.model_type): {error}"
        ) from error
    del loaded
    if Path(model_type).is_dir():
        yield
        return
    with _CWD_LOCK, tempfile.TemporaryDirectory(prefix="moderation-model-") as tmp:
        link = Path(tmp) / model_type
        link.parent.mkdir(parents=True, exist_ok=True)
        link.symlink_to(config_dir.resolve(), target_is_directory=True)
        previous = Path.cwd()
        os.chdir(tmp)
        try:
            yield
        finally:
            os.chdir(previous)


_CWD_LOCK = threading.Lock()


def _quantize(model: Any) -> Any:
    import torch

    with warnings.catch_warnings():
        # quantize_dynamic is deprecated in favour of torchao but still the fastest CPU path in this torch.
        warnings.simplefilter("ignore")
        quantize_dynamic: Any = torch.ao.quantization.quantize_dynamic
        return quantize_dynamic(model, {torch.nn.Linear}, dtype=torch.qint8)


def _load_checkpoint(checkpoint: Path, config_dir: Path) -> Any:
    from detoxify import Detoxify

    with _resolvable_model_type(checkpoint, config_dir):
        return Detoxify(checkpoint=str(checkpoint), huggingface_config_path=str(config_dir.resolve()))


def _hub_checkpoint_cached(name: str) -> bool:
    import torch
    from detoxify.detoxify import MODEL_URLS

    filename = MODEL_URLS[name].rsplit("/", 1)[-1]
    return bool((Path(torch.hub.get_dir()) / "checkpoints" / filename).is_file())


def load_classifier(settings: ModelSettings) -> Classifier:
    """Load the configured model (uncached); raise ClassifierError with an operator-facing message."""
    _offline()
    started = time.monotonic()
    try:
        import torch
    except ImportError as error:
        raise ClassifierError(f"torch is not installed: {error}") from error
    if settings.torch_threads > 0:
        torch.set_num_threads(settings.torch_threads)
    name = settings.name
    try:
        if name == BUNDLED:
            from workers.bundled_model import build

            try:
                checkpoint = build.build()
                version = build.artifact_version()
            except build.BuildError as error:
                raise ClassifierError(f"bundled model unavailable: {error}") from error
            detoxify = _load_checkpoint(checkpoint, build.HF_CONFIG_DIR)
            # int8 dynamic quantisation: ~3x faster on CPU; its AUCs are measured in docs/model-card.md.
            detoxify.model = _quantize(detoxify.model)
        elif name == CHECKPOINT:
            checkpoint_path, config_dir = settings.checkpoint_path, settings.config_dir
            if checkpoint_path is None or config_dir is None:
                raise ClassifierError(
                    "MODERATION_MODEL=checkpoint needs MODERATION_MODEL_CHECKPOINT (a Detoxify .ckpt/.pt file) "
                    "and MODERATION_MODEL_CONFIG_DIR (its Hugging Face config and tokenizer folder)"
                )
            if not checkpoint_path.is_file():
                raise ClassifierError(f"MODERATION_MODEL_CHECKPOINT: no file at {checkpoint_path}")
            if not (config_dir / "config.json").is_file():
                raise ClassifierError(f"MODERATION_MODEL_CONFIG_DIR: no config.json in {config_dir}")
            version = _sha256(checkpoint_path)
            detoxify = _load_checkpoint(checkpoint_path, config_dir)
        elif name in DETOXIFY_NAMES:
            if not _hub_checkpoint_cached(name):
                raise ClassifierError(
                    f"Detoxify model {name!r} is not in the torch hub cache ({torch.hub.get_dir()}) and would "
                    "need the internet to download; set MODERATION_MODEL=checkpoint with "
                    "MODERATION_MODEL_CHECKPOINT and MODERATION_MODEL_CONFIG_DIR pointing at local files, "
                    "or MODERATION_MODEL=bundled"
                )
            from detoxify import Detoxify
            from detoxify.detoxify import MODEL_URLS

            filename = MODEL_URLS[name].rsplit("/", 1)[-1]
            version = _sha256(Path(torch.hub.get_dir()) / "checkpoints" / filename)
            detoxify = Detoxify(model_type=name)
        else:
            raise ClassifierError(
                f"unknown MODERATION_MODEL {name!r}: use {BUNDLED!r}, {CHECKPOINT!r} or one of "
                + ", ".join(DETOXIFY_NAMES)
            )
    except ClassifierError:
        raise
    except Exception as error:
        # Library errors (offline hub lookups, bad state dicts) become one clear, typed error.
        raise ClassifierError(f"could not load model {name!r}: {type(error).__name__}: {error}") from error
    info = ModelInfo(name=name, version=version, classes=tuple(detoxify.class_names))
    classifier = Classifier(detoxify, info, settings.max_batch_size, settings.max_batch_tokens)
    log.info(
        "classifier.loaded",
        model=name,
        version=version,
        classes=list(info.classes),
        seconds=round(time.monotonic() - started, 2),
    )
    return classifier


_CACHE: dict[ModelSettings, Classifier] = {}
_CACHE_LOCK = threading.Lock()


def get_classifier(settings: ModelSettings) -> Classifier:
    """The process's classifier for these settings, loaded on first use (never at import or fork time)."""
    with _CACHE_LOCK:
        classifier = _CACHE.get(settings)
        if classifier is None:
            classifier = load_classifier(settings)
            _CACHE[settings] = classifier
            # The model's hundreds of thousands of Python objects live as long as the process: moved out of
            # the cyclic collector's reach, they no longer make each full collection cost ~20 ms (measured on
            # a worker batch, where it was a quarter of the time spent outside the model).
            gc.freeze()
        return classifier
