"""Fixtures for moderation tests: sites that know their slug, and moderators with tokens."""

from __future__ import annotations

import uuid
from collections.abc import Callable

import pytest
from sqlalchemy import Engine

from service.db.engine import sync_session_factory
from service.moderation.accounts import create_moderator
from service.sites.services import create_site
from tests.integration.moderation.helpers import SiteKey


@pytest.fixture
def site(sync_engine: Engine) -> Callable[[], SiteKey]:
    def make() -> SiteKey:
        slug = f"site-{uuid.uuid4().hex[:6]}"
        with sync_session_factory(sync_engine).begin() as session:
            _, key = create_site(session, slug)
        return SiteKey(slug, key)

    return make


@pytest.fixture
def moderator(sync_engine: Engine) -> Callable[..., str]:
    """Create a moderator for some sites; returns the bearer token."""

    def make(*sites: SiteKey, admin: bool = False, name: str | None = None) -> str:
        with sync_session_factory(sync_engine).begin() as session:
            _, token = create_moderator(session, name or f"mod-{uuid.uuid4().hex[:6]}", [s.slug for s in sites], admin)
        return token

    return make
