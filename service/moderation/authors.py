"""Author actions: trust, pre-moderate, suspend or ban an author of a site in scope, audited."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

import structlog
from sqlalchemy.ext.asyncio import AsyncEngine

from policies import PolicyStore
from service.comments import repository as comments_repo
from service.db.models import AuthorStatus, CommentStatus
from service.dispatch import TaskDispatcher
from service.errors import ApiError, not_found
from service.moderation import repository as repo
from service.moderation.auth import ModeratorContext, require_admin
from service.moderation.reasons import check_reason_code
from service.moderation.schemas import AuthorRead, AuthorUpdate
from service.moderation.services import scope
from service.moderation.views import utc

log = structlog.get_logger()

# Statuses with lasting effect beyond one comment: only an admin sets them.
ADMIN_STATUSES = frozenset({AuthorStatus.TRUSTED, AuthorStatus.BANNED})
BANNED_REASON = "author_banned"


@dataclass(frozen=True, slots=True)
class AuthorActionService:
    engine: AsyncEngine
    policies: PolicyStore
    dispatcher: TaskDispatcher

    async def set_status(
        self, moderator: ModeratorContext, site: str, author_id: str, data: AuthorUpdate
    ) -> AuthorRead:
        """Change an author's status; intake reads it on the next comment, the pipeline on the next score."""
        (site_id,) = scope(moderator, site)
        status = AuthorStatus(data.status)
        if status in ADMIN_STATUSES:
            require_admin(moderator, f"set an author {status.value}")
        now = datetime.now(UTC)
        until = _checked_until(status, data.until, now)
        if data.reason_code is not None:
            check_reason_code(self.policies.for_site(site), data.reason_code)
        if data.reject_pending and status != AuthorStatus.BANNED:
            raise ApiError(422, "invalid_field", "`reject_pending` applies only to `banned`.", field="reject_pending")
        rejected: list[str] = []
        deliveries: list[int] = []
        async with self.engine.begin() as conn:
            author = await repo.lock_author(conn, site_id, author_id)
            if author is None:
                raise not_found("author")
            await repo.set_author_status(
                conn,
                author.id,
                status,
                until,
                {
                    "site_id": site_id,
                    "actor": moderator.actor,
                    "from_status": str(author.status),
                    "to_status": status.value,
                    "status_until": until,
                    "reason": data.reason_code,
                    "note": data.note,
                    "created_at": now,
                },
            )
            if data.reject_pending:
                reason = data.reason_code or BANNED_REASON
                for comment in await repo.undecided_comments(conn, author.id):
                    transition = await comments_repo.set_status(
                        conn,
                        comment.id,
                        comment.status,
                        CommentStatus.REJECTED,
                        reason,
                        moderator.actor,
                        now,
                        data.note,
                    )
                    if transition is None:
                        continue  # decided meanwhile by a worker; it keeps that decision
                    await repo.release_claim(conn, comment.id)
                    rejected.append(comment.id)
                    if transition.webhook_delivery_id is not None:
                        deliveries.append(transition.webhook_delivery_id)
        log.info("moderation.author_status", status=status.value, rejected=len(rejected))
        for delivery_id in deliveries:
            await self.dispatcher.deliver_webhook(delivery_id)
        return AuthorRead(
            site=site,
            id=author.external_id,
            name=author.name,
            status=status.value,
            status_until=until,
            rejected_comments=rejected,
        )


def _checked_until(status: AuthorStatus, until: datetime | None, now: datetime) -> datetime | None:
    if status != AuthorStatus.SUSPENDED:
        if until is not None:
            raise ApiError(422, "invalid_field", "`until` applies only to `suspended`.", field="until")
        return None
    if until is None:
        raise ApiError(422, "until_required", "A suspension needs `until`.", field="until")
    until = utc(until)
    if until <= now:
        raise ApiError(422, "invalid_field", "`until` must be in the future.", field="until")
    return until
