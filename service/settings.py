"""The one place that reads configuration: `MODERATION_*` environment variables into frozen settings."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

PREFIX = "MODERATION_"
REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_POLICY_DIR = REPO_ROOT / "policies"

LogFormat = Literal["auto", "json", "console"]


class SettingsError(ValueError):
    """A variable is missing or malformed; the message names it."""


def _database_urls(url: str) -> tuple[str, str]:
    """Derive the async (API) and sync (CLI, Alembic, workers) driver URLs from one URL."""
    scheme, sep, rest = url.partition("://")
    if not sep:
        raise SettingsError(f"{PREFIX}DATABASE_URL is not a URL: {url!r}")
    family = scheme.split("+", 1)[0]
    if family == "sqlite":
        return f"sqlite+aiosqlite://{rest}", f"sqlite+pysqlite://{rest}"
    if family in ("postgresql", "postgres"):
        return f"postgresql+asyncpg://{rest}", f"postgresql+psycopg://{rest}"
    raise SettingsError(f"{PREFIX}DATABASE_URL must be sqlite:// or postgresql://, got {scheme}://")


@dataclass(frozen=True, slots=True)
class DatabaseSettings:
    url: str
    pool_size: int = 10

    @property
    def async_url(self) -> str:
        return _database_urls(self.url)[0]

    @property
    def sync_url(self) -> str:
        return _database_urls(self.url)[1]

    @property
    def is_sqlite(self) -> bool:
        return self.url.startswith("sqlite")


@dataclass(frozen=True, slots=True)
class ApiSettings:
    host: str = "127.0.0.1"
    port: int = 8000
    max_body_bytes: int = 64 * 1024
    claim_seconds: int = 600  # how long a moderator's claim on a comment keeps others off it


@dataclass(frozen=True, slots=True)
class BrokerSettings:
    """Celery broker; empty url means the embedded SQLite-file transport under the data folder."""

    url: str = ""


@dataclass(frozen=True, slots=True)
class PipelineSettings:
    """How the workers keep every comment moving."""

    max_attempts: int = 3  # scoring failures before a comment is held as `classification_failed`
    lease_seconds: int = 120  # a worker's hold on comments it is scoring; a dead worker's lapses
    stale_pending_seconds: int = 60  # pending this long without a lease: queue it again
    sweep_interval_seconds: int = 30
    webhook_timeout_seconds: float = 5.0
    webhook_max_attempts: int = 10
    webhook_backoff_seconds: int = 10  # doubles after each failed delivery, up to an hour


@dataclass(frozen=True, slots=True)
class ModelSettings:
    """Which Detoxify model scores comments.

    `name` is `bundled` (the project's own offline checkpoint), a Detoxify model name
    (`original`, `unbiased`, `multilingual`, `original-small`, `unbiased-small`), or `checkpoint`
    together with `checkpoint_path` and `config_dir` for a local Detoxify checkpoint.
    """

    name: str = "bundled"
    checkpoint_path: Path | None = None
    config_dir: Path | None = None
    max_batch_size: int = 32
    max_batch_tokens: int = 8192
    torch_threads: int = 0  # 0: leave torch's default


@dataclass(frozen=True, slots=True)
class LogSettings:
    level: str = "INFO"
    format: LogFormat = "auto"


@dataclass(frozen=True, slots=True)
class Settings:
    data_dir: Path
    database: DatabaseSettings
    api: ApiSettings
    broker: BrokerSettings
    pipeline: PipelineSettings
    model: ModelSettings
    log: LogSettings
    policy_dir: Path = DEFAULT_POLICY_DIR
    redis_url: str | None = None


def _int(env: Mapping[str, str], name: str, default: int) -> int:
    raw = env.get(PREFIX + name)
    if raw is None or raw == "":
        return default
    try:
        return int(raw)
    except ValueError:
        raise SettingsError(f"{PREFIX}{name} must be an integer, got {raw!r}") from None


def _positive(env: Mapping[str, str], name: str, default: int) -> int:
    value = _int(env, name, default)
    if value <= 0:
        raise SettingsError(f"{PREFIX}{name} must be a positive number of seconds, got {value}")
    return value


def _choice(env: Mapping[str, str], name: str, default: str, allowed: tuple[str, ...]) -> str:
    value = env.get(PREFIX + name) or default
    if value not in allowed:
        raise SettingsError(f"{PREFIX}{name} must be one of {', '.join(allowed)}, got {value!r}")
    return value


def _path(env: Mapping[str, str], name: str) -> Path | None:
    raw = env.get(PREFIX + name)
    return Path(raw).expanduser().resolve() if raw else None


def load_settings(env: Mapping[str, str] | None = None) -> Settings:
    """Read settings from `env` (default: the process environment); raise SettingsError on bad input."""
    env = os.environ if env is None else env
    data_dir = _path(env, "DATA_DIR") or (Path.cwd() / "var")
    database_url = env.get(PREFIX + "DATABASE_URL") or f"sqlite:///{data_dir / 'moderation.db'}"
    database = DatabaseSettings(url=database_url, pool_size=_int(env, "DATABASE_POOL_SIZE", 10))
    database.async_url  # noqa: B018 - validates the URL now rather than at first query
    return Settings(
        data_dir=data_dir,
        database=database,
        api=ApiSettings(
            host=env.get(PREFIX + "HOST") or "127.0.0.1",
            port=_int(env, "PORT", 8000),
            max_body_bytes=_int(env, "MAX_BODY_BYTES", 64 * 1024),
            claim_seconds=_positive(env, "CLAIM_SECONDS", 600),
        ),
        broker=BrokerSettings(url=env.get(PREFIX + "BROKER_URL") or ""),
        pipeline=PipelineSettings(
            max_attempts=_int(env, "MAX_ATTEMPTS", 3),
            lease_seconds=_int(env, "SCORING_LEASE_SECONDS", 120),
            stale_pending_seconds=_int(env, "STALE_PENDING_SECONDS", 60),
            sweep_interval_seconds=_int(env, "SWEEP_INTERVAL_SECONDS", 30),
            webhook_timeout_seconds=float(_int(env, "WEBHOOK_TIMEOUT_SECONDS", 5)),
            webhook_max_attempts=_int(env, "WEBHOOK_MAX_ATTEMPTS", 10),
            webhook_backoff_seconds=_int(env, "WEBHOOK_BACKOFF_SECONDS", 10),
        ),
        model=ModelSettings(
            name=env.get(PREFIX + "MODEL") or "bundled",
            checkpoint_path=_path(env, "MODEL_CHECKPOINT"),
            config_dir=_path(env, "MODEL_CONFIG_DIR"),
            max_batch_size=_int(env, "MODEL_MAX_BATCH_SIZE", 32),
            max_batch_tokens=_int(env, "MODEL_MAX_BATCH_TOKENS", 8192),
            torch_threads=_int(env, "MODEL_TORCH_THREADS", 0),
        ),
        log=LogSettings(
            level=(env.get(PREFIX + "LOG_LEVEL") or "INFO").upper(),
            format=_choice(env, "LOG_FORMAT", "auto", ("auto", "json", "console")),  # type: ignore[arg-type]
        ),
        policy_dir=_path(env, "POLICY_DIR") or DEFAULT_POLICY_DIR,
        redis_url=env.get(PREFIX + "REDIS_URL") or None,
    )
