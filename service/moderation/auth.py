"""Moderator authentication: a bearer token looked up by its hash in its own table, with the sites in scope."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import structlog
from litestar import Request
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from service.db.models import Moderator, ModeratorRole, ModeratorSite, Site
from service.errors import ApiError
from service.ids import hash_secret
from service.sites.auth import unauthorized

TOKEN_PREFIX = "mod"  # noqa: S105 - the public prefix of every token, not a secret


@dataclass(frozen=True, slots=True)
class ModeratorContext:
    id: int
    name: str
    role: ModeratorRole
    sites: dict[str, int]  # slug -> id of every site in scope

    @property
    def actor(self) -> str:
        return f"moderator:{self.id}"

    @property
    def site_ids(self) -> frozenset[int]:
        return frozenset(self.sites.values())

    @property
    def is_admin(self) -> bool:
        return self.role == ModeratorRole.ADMIN


def moderator_token(request: Request[Any, Any, Any]) -> str:
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise unauthorized("Send a moderator token as `Authorization: Bearer <token>`.")
    return token.strip()


def require_admin(moderator: ModeratorContext, action: str) -> None:
    if not moderator.is_admin:
        raise ApiError(403, "admin_required", f"Only an admin may {action}.", role=str(moderator.role))


class ModeratorAuthenticator:
    """Not cached: moderators make few requests, and a revoked token must stop working at once."""

    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    async def authenticate(self, token: str) -> ModeratorContext:
        if not token.startswith(TOKEN_PREFIX + "_"):
            raise unauthorized("Send a moderator token as `Authorization: Bearer <token>`.")
        token_hash = hash_secret(token)
        async with self._engine.connect() as conn:
            moderator = (
                await conn.execute(
                    select(Moderator.id, Moderator.name, Moderator.role).where(
                        Moderator.token_hash == token_hash, Moderator.revoked_at.is_(None)
                    )
                )
            ).first()
            if moderator is None:
                raise unauthorized("Unknown or revoked moderator token.")
            sites = (
                await conn.execute(
                    select(Site.slug, Site.id)
                    .join(ModeratorSite, ModeratorSite.site_id == Site.id)
                    .where(ModeratorSite.moderator_id == moderator.id)
                )
            ).all()
        structlog.contextvars.bind_contextvars(moderator_id=moderator.id)
        return ModeratorContext(
            moderator.id, moderator.name, ModeratorRole(moderator.role), {row.slug: row.id for row in sites}
        )
