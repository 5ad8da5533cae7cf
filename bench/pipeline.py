"""Pipeline benchmark: model throughput, worker throughput on a deep queue, post-to-decision latency.

    python bench/pipeline.py [--comments 960] [--seconds 20] [--brokers redis,embedded] [--rate R]
                             [--layout separate|shared] [--worker-processes N] [--worker-threads N] [--solo]

Layout: `separate` (the default) gives the worker half of this machine's cores and the poster (the API,
in this process) the other half, as in production where the API and the workers run on their own
machines; PostgreSQL and Redis are not pinned. `shared` lets everything run on every core, as
`moderation serve` does on one machine.
1. The model alone, in this process, on the worker's cores with one torch thread per core: comments/s
   scoring the texts in consecutive batches of MODERATION_MODEL_MAX_BATCH_SIZE, as a worker claims them
   (the reference for the worker's share); unmodified Detoxify.predict (fp32) on the same batches; all
   texts in one call (sorted by length across all of them: less padding than a worker, which cannot wait
   for later comments, ever gets); and one comment per call.
2. A real `moderation worker` (its defaults for the cores it is given: prefork, one process per core, one
   torch thread each; or as the options say) on PostgreSQL + Redis: --comments comments posted through
   the API before the worker starts (as the API hands them over), drained; throughput counts from the
   first decision to the last (the model load at the first comment is excluded).
3. Post-to-decision latency at half the worker's measured throughput (or --rate), open loop for --seconds,
   on Redis (PostgreSQL) and on the embedded broker (SQLite): p50/p99 of decided_at - created_at.
Comments are synthetic news-comment sentences of 30-39 tokens.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

import httpx  # noqa: E402
import redis  # noqa: E402
from sqlalchemy import select  # noqa: E402

from bench.common import postgres_database  # noqa: E402
from service.app import create_app  # noqa: E402
from service.db import migrate  # noqa: E402
from service.db.engine import create_sync_engine, sync_session_factory  # noqa: E402
from service.db.models import Comment  # noqa: E402
from service.logging import configure_logging  # noqa: E402
from service.settings import LogSettings, Settings, load_settings  # noqa: E402
from service.sites.services import create_site  # noqa: E402
from workers.dispatch import CeleryDispatcher  # noqa: E402

REDIS_BROKER = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/12")
_SUBJECTS = ["The council", "This article", "The new budget", "Our mayor", "The school board", "The editor"]
_VERBS = ["clearly explains", "completely ignores", "raises good questions about", "misrepresents", "covers"]
_OBJECTS = ["the housing plan", "the bus routes", "last week's vote", "local taxes", "the flood defences"]
_TAILS = [
    "and I would like to read more about how residents were consulted before the decision was made.",
    "which is exactly why so many of us in the neighbourhood are worried about what comes next here.",
    "but the numbers in the third paragraph do not match what was presented at the public meeting.",
]


def comments(count: int, seed: int = 7) -> list[str]:
    rng = random.Random(seed)
    return [
        f"{rng.choice(_SUBJECTS)} {rng.choice(_VERBS)} {rng.choice(_OBJECTS)} (#{n}), {rng.choice(_TAILS)}"
        for n in range(count)
    ]


@dataclass(frozen=True)
class ModelRates:
    """Comments/s of the model alone, in this process."""

    batched: float  # Classifier.score (int8, what the worker runs) on the batches a worker would claim
    raw_predict: float  # unmodified Detoxify.predict (fp32) on the same batches
    sorted_overall: float  # all texts in one call: sorted by length over all of them, less padding than a worker gets
    one_by_one: float


@dataclass(frozen=True)
class Layout:
    poster: set[int]  # cores of this process: the API and the client posting to it
    worker: set[int]

    @classmethod
    def of(cls, name: str) -> Layout:
        cores = sorted(os.sched_getaffinity(0))
        if name == "shared" or len(cores) < 2:
            return cls(set(cores), set(cores))
        half = len(cores) // 2
        return cls(set(cores[:half]), set(cores[half:]))

    def describe(self) -> str:
        if self.poster == self.worker:
            return f"shared: the worker and the poster (the API, this process) both on cores {sorted(self.worker)}"
        return (f"separate: the worker on cores {sorted(self.worker)}, the poster (the API, this process) on "
                f"{sorted(self.poster)}; PostgreSQL and Redis unpinned")  # fmt: skip


def model_throughput(texts: list[str], batch_size: int, cores: set[int]) -> ModelRates:
    """Measured on `cores` (the worker's), one torch thread per core, as the worker would run."""
    import torch
    from detoxify import Detoxify

    from workers.bundled_model import build
    from workers.classifier import load_classifier

    os.sched_setaffinity(0, cores)  # torch's threads, started by the first call, inherit it
    torch.set_num_threads(len(cores))
    classifier = load_classifier(load_settings().model)
    classifier.score(texts)  # warm-up

    def rate(score: Callable[[list[str]], object], calls: list[list[str]]) -> float:
        """Median comments/s of three passes: this host class varies by 15-20% between seconds."""
        rates = []
        for _ in range(3):
            started = time.perf_counter()
            for call in calls:
                score(call)
            rates.append(sum(map(len, calls)) / (time.perf_counter() - started))
        return statistics.median(rates)

    batches = [texts[start : start + batch_size] for start in range(0, len(texts), batch_size)]
    raw = Detoxify(checkpoint=str(build.build()), huggingface_config_path=str(build.HF_CONFIG_DIR))
    return ModelRates(
        batched=rate(classifier.score, batches),
        raw_predict=rate(raw.predict, batches),
        sorted_overall=rate(classifier.score, [texts]),
        one_by_one=rate(classifier.score, [[text] for text in texts[:128]]),
    )


@contextmanager
def worker(env: dict[str, str], log: Path, pool: list[str], cores: set[int]) -> Iterator[None]:
    """A real worker on `cores`: it sizes its pool from the cores it may run on, as in a container."""
    command = [sys.executable, "-m", "service.cli", "worker", "--queues=moderation", *pool]
    with log.open("ab") as out:
        process = subprocess.Popen(
            command,
            cwd=REPO,
            env={**os.environ, **env},
            stdout=out,
            stderr=subprocess.STDOUT,
            preexec_fn=lambda: os.sched_setaffinity(0, cores),
        )
    try:
        yield
    finally:
        process.terminate()
        process.wait(timeout=30)


def prepare(settings: Settings) -> str:
    engine = create_sync_engine(settings.database)
    migrate.upgrade(engine)
    with sync_session_factory(engine).begin() as session:
        key = create_site(session, f"bench-{uuid.uuid4().hex[:6]}")[1]
    engine.dispose()
    return key


def decisions(settings: Settings, ids: set[str]) -> list[tuple[datetime, datetime]]:
    engine = create_sync_engine(settings.database)
    try:
        with engine.connect() as conn:
            rows = conn.execute(
                select(Comment.id, Comment.created_at, Comment.updated_at).where(Comment.status != "pending")
            ).all()
    finally:
        engine.dispose()
    return [(row.created_at, row.updated_at) for row in rows if row.id in ids]


async def post(client: httpx.AsyncClient, key: str, text: str, n: int) -> str:
    payload = {"article_id": f"a-{n % 50}", "author": {"id": f"b-{uuid.uuid4().hex}", "name": "R"}, "body": text}
    response = await client.post("/v1/comments", json=payload, headers={"Authorization": f"Bearer {key}"})
    response.raise_for_status()
    return str(response.json()["id"])


async def post_all(settings: Settings, key: str, texts: list[str], rate: float | None) -> set[str]:
    """Post every text through the real API in this process (rate None: as fast as possible)."""
    app = create_app(settings, CeleryDispatcher(settings))
    async with (
        app.lifespan(),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://bench") as client,
    ):
        if rate is None:
            return {await post(client, key, text, n) for n, text in enumerate(texts)}
        ids, tasks, started = set(), [], time.perf_counter()
        for n, text in enumerate(texts):
            delay = started + n / rate - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            tasks.append(asyncio.create_task(post(client, key, text, n)))
        for task in tasks:
            ids.add(await task)
        return ids


def wait_decided(settings: Settings, ids: set[str], timeout: float) -> list[tuple[datetime, datetime]]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        done = decisions(settings, ids)
        if len(done) == len(ids):
            return done
        time.sleep(0.5)
    raise SystemExit(f"only {len(decisions(settings, ids))}/{len(ids)} decided in {timeout} s")


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * fraction))]


def latency_run(settings: Settings, key: str, texts: list[str], rate: float) -> str:
    """p50 and p99 of post-to-decision, and how much of a core the poster itself (the API) took."""
    cpu, wall = time.process_time(), time.perf_counter()
    ids = asyncio.run(post_all(settings, key, texts, rate))
    poster_cores = (time.process_time() - cpu) / (time.perf_counter() - wall)
    done = wait_decided(settings, ids, 300)
    latencies = [(decided - created).total_seconds() * 1000 for created, decided in done]
    p50, p99 = statistics.median(latencies), percentile(latencies, 0.99)
    return f"p50 {p50:.0f} ms, p99 {p99:.0f} ms (the poster used {poster_cores:.2f} of a core)"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--comments", type=int, default=960)
    parser.add_argument("--seconds", type=int, default=20)
    parser.add_argument("--brokers", default="redis,embedded")
    parser.add_argument("--rate", type=float, default=None, help="latency runs at this rate, not half the capacity")
    parser.add_argument("--layout", choices=["separate", "shared"], default="separate")
    parser.add_argument("--worker-processes", type=int, help="prefork processes (default: the worker's, one per core)")
    parser.add_argument("--worker-threads", type=int, help="torch threads per process (default: the worker's)")
    parser.add_argument("--solo", action="store_true", help="one solo-pool process (the worker before 2026-11-28)")
    args = parser.parse_args()
    texts = comments(args.comments)
    os.environ.setdefault("MODERATION_LOG_LEVEL", "WARNING")
    configure_logging(LogSettings(level="WARNING"))
    batch_size = load_settings().model.max_batch_size
    layout = Layout.of(args.layout)
    print(f"layout {layout.describe()}", flush=True)
    model = model_throughput(texts, batch_size, layout.worker)
    os.sched_setaffinity(0, layout.poster)
    print(f"model alone: {model.batched:.1f} comments/s in batches of {batch_size} as a worker claims them "
          f"(raw Detoxify.predict, fp32: {model.raw_predict:.1f}/s; all {len(texts)} in one call, sorted by "
          f"length: {model.sorted_overall:.1f}/s), {model.one_by_one:.1f}/s one per call "
          f"(batching x{model.batched / model.one_by_one:.2f})", flush=True)  # fmt: skip
    common = {"MODERATION_LOG_LEVEL": "WARNING"}
    if args.worker_threads:
        common["MODERATION_MODEL_TORCH_THREADS"] = str(args.worker_threads)
    pool = ["--pool=solo"] if args.solo else [f"--concurrency={args.worker_processes}"] if args.worker_processes else []
    capacity = None
    log = Path(tempfile.mkdtemp()) / "worker.log"
    if "redis" in args.brokers:
        redis.Redis.from_url(REDIS_BROKER).flushdb()
        with postgres_database() as url:
            env = {**common, "MODERATION_DATABASE_URL": url, "MODERATION_BROKER_URL": REDIS_BROKER}
            os.environ.update(env)
            settings = load_settings()
            key = prepare(settings)
            ids = asyncio.run(post_all(settings, key, texts, None))  # the deep queue, before any worker
            with worker(env, log, pool, layout.worker):
                done = wait_decided(settings, ids, 600)
                decided_at = sorted(decided for _, decided in done)
                capacity = (len(decided_at) - 1) / (decided_at[-1] - decided_at[0]).total_seconds()
                print(f"worker, deep queue (PostgreSQL + Redis): {capacity:.1f} comments/s "
                      f"({capacity / model.batched:.0%} of the model alone, {capacity / model.raw_predict:.0%} of raw "
                      f"Detoxify.predict)", flush=True)  # fmt: skip
                rate = args.rate or capacity / 2
                steady = comments(int(rate * args.seconds), seed=11)
                figures = latency_run(settings, key, steady, rate)
                print(f"post-to-decision at {rate:.1f}/s on Redis: {figures}", flush=True)
        redis.Redis.from_url(REDIS_BROKER).flushdb()
    if "embedded" in args.brokers:
        with tempfile.TemporaryDirectory() as folder:
            env = {**common, "MODERATION_DATA_DIR": folder, "MODERATION_DATABASE_URL": f"sqlite:///{folder}/m.db"}
            os.environ.pop("MODERATION_BROKER_URL", None)
            os.environ.update(env)
            settings = load_settings()
            key = prepare(settings)
            with worker(env, log, pool, layout.worker):
                warm = asyncio.run(post_all(settings, key, texts[:8], None))
                wait_decided(settings, warm, 300)  # the model is loaded
                rate = args.rate or (capacity or 20.0) / 2
                steady = comments(int(rate * args.seconds), seed=13)
                figures = latency_run(settings, key, steady, rate)
                print(f"post-to-decision at {rate:.1f}/s on the embedded broker (SQLite): {figures}", flush=True)


if __name__ == "__main__":
    main()
