"""Settings: defaults, derived database URLs, and errors that name the variable."""

from __future__ import annotations

from pathlib import Path

import pytest

from service.settings import SettingsError, load_settings


def test_defaults_use_an_sqlite_file_under_the_data_dir(tmp_path: Path) -> None:
    settings = load_settings({"MODERATION_DATA_DIR": str(tmp_path)})
    assert settings.database.url == f"sqlite:///{tmp_path / 'moderation.db'}"
    assert settings.database.async_url.startswith("sqlite+aiosqlite:///")
    assert settings.model.name == "bundled"
    assert settings.redis_url is None
    assert settings.api.port == 8000


@pytest.mark.parametrize(
    ("url", "async_url", "sync_url"),
    [
        ("postgresql://u@h/db", "postgresql+asyncpg://u@h/db", "postgresql+psycopg://u@h/db"),
        ("postgresql+psycopg://u@h/db", "postgresql+asyncpg://u@h/db", "postgresql+psycopg://u@h/db"),
        ("sqlite:////tmp/x.db", "sqlite+aiosqlite:////tmp/x.db", "sqlite+pysqlite:////tmp/x.db"),
    ],
)
def test_one_database_url_gives_both_drivers(url: str, async_url: str, sync_url: str) -> None:
    database = load_settings({"MODERATION_DATABASE_URL": url}).database
    assert (database.async_url, database.sync_url) == (async_url, sync_url)


@pytest.mark.parametrize(
    ("env", "named"),
    [
        ({"MODERATION_PORT": "eighty"}, "MODERATION_PORT"),
        ({"MODERATION_DATABASE_URL": "mysql://x"}, "MODERATION_DATABASE_URL"),
        ({"MODERATION_LOG_FORMAT": "xml"}, "MODERATION_LOG_FORMAT"),
        ({"MODERATION_MODEL_MAX_BATCH_SIZE": "1.5"}, "MODERATION_MODEL_MAX_BATCH_SIZE"),
    ],
)
def test_bad_values_name_the_variable(env: dict[str, str], named: str) -> None:
    with pytest.raises(SettingsError, match=named):
        load_settings(env)


def test_claim_seconds_must_be_positive():
    assert load_settings({"MODERATION_CLAIM_SECONDS": "90"}).api.claim_seconds == 90
    with pytest.raises(SettingsError, match="MODERATION_CLAIM_SECONDS must be a positive"):
        load_settings({"MODERATION_CLAIM_SECONDS": "0"})
