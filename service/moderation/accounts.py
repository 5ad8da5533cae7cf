"""Creating, listing and revoking moderator accounts (used by the CLI); only a hash of each token is stored."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from service.db.models import Moderator, ModeratorRole, ModeratorSite, Site
from service.ids import hash_secret, new_secret
from service.moderation.auth import TOKEN_PREFIX


class ModeratorError(ValueError):
    pass


@dataclass(frozen=True, slots=True)
class ModeratorSummary:
    id: int
    name: str
    role: str
    sites: tuple[str, ...]
    created_at: datetime
    revoked_at: datetime | None


def create_moderator(session: Session, name: str, site_slugs: Sequence[str], admin: bool = False) -> tuple[int, str]:
    """Create a moderator for the named sites; returns their id and token, which is never shown again."""
    name = name.strip()
    if not name or len(name) > 200:
        raise ModeratorError("moderator name must be 1 to 200 characters")
    slugs = sorted({slug.strip() for slug in site_slugs if slug.strip()})
    if not slugs:
        raise ModeratorError("name at least one site with --sites")
    if session.scalar(select(Moderator.id).where(Moderator.name == name)) is not None:
        raise ModeratorError(f"moderator {name!r} already exists")
    sites = {row.slug: row.id for row in session.execute(select(Site.slug, Site.id).where(Site.slug.in_(slugs)))}
    missing = [slug for slug in slugs if slug not in sites]
    if missing:
        raise ModeratorError(f"no such site: {', '.join(missing)}")
    token = new_secret(TOKEN_PREFIX)
    moderator = Moderator(
        name=name,
        token_hash=hash_secret(token),
        role=ModeratorRole.ADMIN if admin else ModeratorRole.MODERATOR,
        created_at=datetime.now(UTC),
    )
    session.add(moderator)
    session.flush()
    session.add_all(ModeratorSite(moderator_id=moderator.id, site_id=site_id) for site_id in sites.values())
    session.flush()
    return moderator.id, token


def list_moderators(session: Session) -> list[ModeratorSummary]:
    rows = session.execute(
        select(Moderator, Site.slug)
        .outerjoin(ModeratorSite, ModeratorSite.moderator_id == Moderator.id)
        .outerjoin(Site, Site.id == ModeratorSite.site_id)
        .order_by(Moderator.name, Site.slug)
    ).all()
    found: dict[int, ModeratorSummary] = {}
    for moderator, slug in rows:
        summary = found.get(moderator.id) or ModeratorSummary(
            moderator.id, moderator.name, str(moderator.role), (), moderator.created_at, moderator.revoked_at
        )
        if slug is not None:
            summary = ModeratorSummary(
                summary.id, summary.name, summary.role, (*summary.sites, slug), summary.created_at, summary.revoked_at
            )
        found[moderator.id] = summary
    return list(found.values())


def revoke_moderator(session: Session, name: str) -> None:
    """Stop a moderator's token from working; their past actions stay in the audit trail."""
    moderator = session.scalar(select(Moderator).where(Moderator.name == name))
    if moderator is None:
        raise ModeratorError(f"no moderator {name!r}")
    if moderator.revoked_at is None:
        moderator.revoked_at = datetime.now(UTC)
