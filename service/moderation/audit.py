"""The audit trail: every change to comments and authors in scope, newest first, filterable."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import and_, or_, select
from sqlalchemy.ext.asyncio import AsyncEngine

from service.errors import ApiError
from service.moderation import repository as repo
from service.moderation.auth import ModeratorContext, require_admin
from service.moderation.schemas import AuditEntry, AuditPage
from service.moderation.services import scope
from service.moderation.views import decode_cursor, describe_actor, encode_cursor, moderator_ids, utc


@dataclass(frozen=True, slots=True)
class AuditFilters:
    site: str | None = None
    moderator_id: int | None = None
    since: datetime | None = None
    until: datetime | None = None
    limit: int = 100
    cursor: str | None = None


@dataclass(frozen=True, slots=True)
class AuditService:
    engine: AsyncEngine

    async def audit(self, moderator: ModeratorContext, filters: AuditFilters) -> AuditPage:
        require_admin(moderator, "read the audit trail")
        site_ids = scope(moderator, filters.site)
        actor = f"moderator:{filters.moderator_id}" if filters.moderator_id is not None else None
        audit = repo.audit_query(site_ids, actor, filters.since, filters.until)
        query = select(audit)
        if filters.cursor is not None:
            at, kind, entry_id = decode_cursor(filters.cursor, 3)
            try:
                after = datetime.fromisoformat(str(at))
                kind, entry_id = str(kind), int(entry_id)
            except (TypeError, ValueError):
                raise ApiError(
                    400, "invalid_cursor", "The cursor is not one this API gave out.", field="cursor"
                ) from None
            query = query.where(
                or_(
                    audit.c.created_at < after,
                    and_(
                        audit.c.created_at == after,
                        or_(audit.c.kind < kind, and_(audit.c.kind == kind, audit.c.id < entry_id)),
                    ),
                )
            )
        query = query.order_by(audit.c.created_at.desc(), audit.c.kind.desc(), audit.c.id.desc())
        async with self.engine.connect() as conn:
            rows = (await conn.execute(query.limit(filters.limit + 1))).all()
            page = rows[: filters.limit]
            names = await repo.moderator_names(conn, moderator_ids(row.actor for row in page))
        next_cursor = None
        if len(rows) > filters.limit:
            last = page[-1]
            next_cursor = encode_cursor([last.created_at.isoformat(), last.kind, last.id])
        items = []
        for row in page:
            actor_type, moderator_ref, policy_version = describe_actor(row.actor, names)
            items.append(
                AuditEntry(
                    kind=row.kind,
                    id=row.id,
                    site=row.site,
                    comment_id=row.comment_id,
                    author_id=row.author_id,
                    actor=row.actor,
                    actor_type=actor_type,
                    moderator=moderator_ref,
                    policy_version=policy_version,
                    from_status=row.from_status,
                    to_status=row.to_status,
                    reason=row.reason,
                    note=row.note,
                    at=utc(row.created_at),
                )
            )
        return AuditPage(items=items, next_cursor=next_cursor)
