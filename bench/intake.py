"""Intake benchmark: the real API against a bare Litestar endpoint, same server settings, same load.

    python bench/intake.py [--duration 10] [--connections 32] [--targets bare,postgres,sqlite]

Each server is one uvicorn process (uvloop, httptools) pinned to core 0; wrk runs pinned to core 1 over
loopback. For each target it prints the peak (closed loop, wrk) and, at half that rate (open loop, a
small asyncio client that times each request from its scheduled start), p50/p99 latency.
Needs wrk (Debian package `wrk`) and, for the postgres target, PostgreSQL and Redis on this machine.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from bench.common import free_port, postgres_database  # noqa: E402
from service.db import migrate  # noqa: E402
from service.db.engine import create_sync_engine, sync_session_factory  # noqa: E402
from service.settings import load_settings  # noqa: E402
from service.sites.services import create_site  # noqa: E402

REDIS = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/13")
SERVER_CORE, LOAD_CORE = "0", "1"


@contextmanager
def server(app: str, env: dict[str, str]) -> Iterator[str]:
    port = free_port()
    command = [
        "taskset", "-c", SERVER_CORE, sys.executable, "-m", "uvicorn", app, "--factory",
        "--host", "127.0.0.1", "--port", str(port), "--loop", "uvloop", "--http", "httptools",
        "--no-access-log", "--log-level", "warning",
    ]  # fmt: skip
    process = subprocess.Popen(command, cwd=REPO, env={**os.environ, **env}, stdout=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(150):
            try:
                httpx.get(base + "/health/live", timeout=1)
                break
            except httpx.HTTPError:
                time.sleep(0.2)
        yield base
    finally:
        process.terminate()
        process.wait(timeout=20)


def wrk(base: str, key: str, seconds: int, connections: int, run: str) -> dict[str, float]:
    command = [
        "taskset", "-c", LOAD_CORE, "wrk", "-t1", f"-c{connections}", f"-d{seconds}s",
        "-s", str(REPO / "bench" / "post_comment.lua"), base,
    ]  # fmt: skip
    out = subprocess.run(
        command, env={**os.environ, "BENCH_KEY": key, "BENCH_RUN": run}, capture_output=True, text=True, check=True
    ).stdout
    line = next(line for line in out.splitlines() if line.startswith("WRK_JSON "))
    stats: dict[str, float] = json.loads(line.removeprefix("WRK_JSON "))
    stats["rps"] = stats["requests"] / stats["seconds"]
    return stats


async def open_loop(base: str, key: str, rate: float, seconds: float, run: str) -> dict[str, float]:
    """Send at a fixed rate regardless of answers; latency counts from each request's scheduled time."""
    host, port = base.removeprefix("http://").split(":")
    total = int(rate * seconds)
    latencies: list[float] = []
    failures = 0
    queue: asyncio.Queue[tuple[int, float]] = asyncio.Queue()

    async def connection() -> None:
        nonlocal failures
        reader, writer = await asyncio.open_connection(host, int(port))
        while True:
            n, scheduled = await queue.get()
            body = json.dumps(
                {
                    "article_id": f"o-{run}-{n % 500}",
                    "author": {"id": f"o-{run}-{n}", "name": "Reader", "ip": f"10.9.{n // 256 % 256}.{n % 256}"},
                    "body": f"Open-loop comment {n} about the budget and the council.",
                }
            ).encode()
            writer.write(
                b"POST /v1/comments HTTP/1.1\r\nHost: bench\r\nContent-Type: application/json\r\n"
                + f"Authorization: Bearer {key}\r\nContent-Length: {len(body)}\r\n\r\n".encode()
                + body
            )
            head = await reader.readuntil(b"\r\n\r\n")
            length = int(next(h for h in head.split(b"\r\n") if h.lower().startswith(b"content-length")).split(b":")[1])
            await reader.readexactly(length)
            if not head.startswith(b"HTTP/1.1 202"):
                failures += 1
            latencies.append(time.perf_counter() - scheduled)
            queue.task_done()

    workers = [asyncio.create_task(connection()) for _ in range(64)]
    start = time.perf_counter()
    for n in range(total):
        scheduled = start + n / rate
        delay = scheduled - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        queue.put_nowait((n, scheduled))
    await queue.join()
    for worker in workers:
        worker.cancel()
    latencies.sort()
    return {
        "rate": rate,
        "sent": total,
        "failures": failures,
        "p50_ms": latencies[len(latencies) // 2] * 1000,
        "p99_ms": latencies[int(len(latencies) * 0.99) - 1] * 1000,
    }


def prepare(database_url: str) -> str:
    settings = load_settings({"MODERATION_DATABASE_URL": database_url})
    engine = create_sync_engine(settings.database)
    migrate.upgrade(engine)
    with sync_session_factory(engine).begin() as session:
        key = create_site(session, "bench")[1]
    engine.dispose()
    return key


def measure(name: str, app: str, env: dict[str, str], key: str, args: argparse.Namespace) -> None:
    with server(app, env) as base:
        wrk(base, key, 2, args.connections, f"warm-{name}")  # warm-up: pools, caches, JIT-free but lazy imports
        peak = wrk(base, key, args.duration, args.connections, f"peak-{name}")
        half = asyncio.run(open_loop(base, key, peak["rps"] / 2, args.duration, f"half-{name}"))
    print(
        f"{name:<9} peak {peak['rps']:8.0f} req/s  p50 {peak['p50_ms']:6.2f} ms  p99 {peak['p99_ms']:7.2f} ms"
        f"  non-2xx {int(peak['non2xx'])}  | at {half['rate']:.0f} req/s: p50 {half['p50_ms']:6.2f} ms"
        f"  p99 {half['p99_ms']:7.2f} ms  failures {half['failures']}",
        flush=True,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--duration", type=int, default=10)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--targets", default="bare,postgres,sqlite")
    args = parser.parse_args()
    if not shutil.which("wrk"):
        sys.exit("needs wrk: apt-get install wrk")
    targets = args.targets.split(",")
    print(f"{os.cpu_count()} cores; server pinned to core {SERVER_CORE}, load to core {LOAD_CORE}", flush=True)
    if "bare" in targets:
        measure("bare", "bench.bare_app:app", {}, "unused", args)
    if "postgres" in targets:
        import redis

        redis.Redis.from_url(REDIS).flushdb()
        with postgres_database() as url:
            key = prepare(url)
            env = {"MODERATION_DATABASE_URL": url, "MODERATION_BROKER_URL": REDIS, "MODERATION_LOG_LEVEL": "WARNING"}
            measure("postgres", "service.asgi:app", env, key, args)
        redis.Redis.from_url(REDIS).flushdb()
    if "sqlite" in targets:
        with tempfile.TemporaryDirectory() as folder:
            url = f"sqlite:///{folder}/moderation.db"
            key = prepare(url)
            env = {"MODERATION_DATABASE_URL": url, "MODERATION_DATA_DIR": folder, "MODERATION_LOG_LEVEL": "WARNING"}
            measure("sqlite", "service.asgi:app", env, key, args)


if __name__ == "__main__":
    main()
