"""End-to-end fixtures: a tiny real Detoxify checkpoint, a deterministic policy, worker environments."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select

from service.db.engine import create_sync_engine, sync_session_factory
from service.db.models import Comment
from service.settings import load_settings
from service.sites.services import create_site
from tests.fixtures.tiny_model import build_tiny_checkpoint

# Outcomes come from word rules, so they do not depend on a random model's scores; the model still
# really loads and scores every comment through Detoxify.
E2E_POLICY = """
description: End-to-end test policy with outcomes fixed by marker words.
word_lists:
  banned_markers: {kind: banned, words: [zorgblat]}
  suspect_markers: {kind: suspect, words: [quibbly]}
rules:
  - {name: banned_marker, reason: banned_word, action: reject, when: {words_of_kind: banned}}
  - {name: suspect_marker, reason: suspect_word, action: hold, when: {words_of_kind: suspect}}
"""
CLEAN, HELD, REJECTED = "A kind and thoughtful comment.", "Somewhat quibbly remark.", "Utter zorgblat nonsense."
EXPECTED = {CLEAN: "published", HELD: "held", REJECTED: "rejected"}


@pytest.fixture(scope="session")
def tiny_model(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    return build_tiny_checkpoint(tmp_path_factory.mktemp("tiny-model"))


@pytest.fixture
def e2e_policy_dir(tmp_path: Path) -> Path:
    folder = tmp_path / "e2e-policies"
    folder.mkdir()
    (folder / "default.yaml").write_text(E2E_POLICY)
    return folder


@pytest.fixture
def worker_env(tmp_path: Path, tiny_model: tuple[Path, Path], e2e_policy_dir: Path) -> dict[str, str]:
    """Settings every process of a test shares; tests add the database and broker."""
    checkpoint, config_dir = tiny_model
    return {
        "MODERATION_DATA_DIR": str(tmp_path / "data"),
        "MODERATION_POLICY_DIR": str(e2e_policy_dir),
        "MODERATION_MODEL": "checkpoint",
        "MODERATION_MODEL_CHECKPOINT": str(checkpoint),
        "MODERATION_MODEL_CONFIG_DIR": str(config_dir),
        "MODERATION_LOG_FORMAT": "json",
        "MODERATION_SCORING_LEASE_SECONDS": "3",
        "MODERATION_STALE_PENDING_SECONDS": "2",
        "MODERATION_SWEEP_INTERVAL_SECONDS": "1",
        "MODERATION_MAX_ATTEMPTS": "2",
    }


def statuses(database_url: str) -> dict[str, str]:
    engine = create_sync_engine(load_settings({"MODERATION_DATABASE_URL": database_url}).database)
    try:
        with engine.connect() as conn:
            return {row.id: str(row.status) for row in conn.execute(select(Comment.id, Comment.status))}
    finally:
        engine.dispose()


def create_test_site(database_url: str, slug: str = "e2e") -> str:
    engine = create_sync_engine(load_settings({"MODERATION_DATABASE_URL": database_url}).database)
    try:
        with sync_session_factory(engine).begin() as session:
            return create_site(session, slug)[1]
    finally:
        engine.dispose()


@pytest.fixture
def postgres_database() -> Iterator[str]:
    from tests.conftest import fresh_postgres_database

    with fresh_postgres_database() as url:
        yield url
