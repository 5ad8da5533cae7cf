"""Site authentication for the API: a bearer key, looked up by its hash, briefly cached."""

from __future__ import annotations

import time
from dataclasses import dataclass

import structlog
from litestar import Request
from litestar.datastructures import State
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from service.db.models import Site
from service.errors import ApiError
from service.ids import hash_secret

# A rotated or revoked key keeps working in each API process for at most this long.
CACHE_SECONDS = 5.0


@dataclass(frozen=True, slots=True)
class SiteContext:
    id: int
    slug: str


def unauthorized(message: str) -> ApiError:
    error = ApiError(401, "unauthorized", message)
    error.headers["WWW-Authenticate"] = "Bearer"
    return error


def bearer_token(request: Request[object, object, State]) -> str:
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise unauthorized("Send the site's API key as `Authorization: Bearer <key>`.")
    return token.strip()


class SiteAuthenticator:
    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine
        self._cache: dict[str, tuple[float, SiteContext | None]] = {}

    async def authenticate(self, token: str) -> SiteContext:
        key_hash = hash_secret(token)
        now = time.monotonic()
        cached = self._cache.get(key_hash)
        if cached is None or cached[0] < now:
            async with self._engine.connect() as connection:
                row = (
                    await connection.execute(select(Site.id, Site.slug).where(Site.api_key_hash == key_hash))
                ).first()
            if len(self._cache) > 10_000:
                self._cache.clear()  # bounded: unknown keys must not grow it forever
            cached = (now + CACHE_SECONDS, SiteContext(row.id, row.slug) if row else None)
            self._cache[key_hash] = cached
        site = cached[1]
        if site is None:
            raise unauthorized("Unknown API key.")
        structlog.contextvars.bind_contextvars(site=site.slug)
        return site
