"""Recording reader reports and putting a published comment back in the queue at the policy's limit."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

import structlog
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine

from policies import PolicyStore
from service.comments import repository as comments_repo
from service.db.models import CommentStatus
from service.dispatch import TaskDispatcher
from service.errors import ApiError, not_found
from service.moderation.reasons import REPORTED, check_reason_code
from service.reports import repository as repo
from service.reports.schemas import ReportCreate, ReportRead
from service.sites.auth import SiteContext

log = structlog.get_logger()

# Readers only see published comments; a held one may still collect reports for its moderator.
REPORTABLE = frozenset({CommentStatus.PUBLISHED, CommentStatus.HELD})


@dataclass(frozen=True, slots=True)
class ReportService:
    engine: AsyncEngine
    policies: PolicyStore
    dispatcher: TaskDispatcher

    async def report(self, site: SiteContext, comment_id: str, data: ReportCreate) -> ReportRead:
        """Record one reader's report; at the limit a published comment is held with reason `reported`.

        Reports count for the comment's whole life, so a comment a moderator approved after reports
        goes back to the queue with the next report.
        """
        policy = self.policies.for_site(site.slug)
        check_reason_code(policy, data.reason, field="reason")
        now = datetime.now(UTC)
        delivery_id = None
        async with self.engine.begin() as conn:
            comment = await repo.lock_comment(conn, site.id, comment_id)
            if comment is None:
                raise not_found()
            status = CommentStatus(comment.status)
            if status not in REPORTABLE:
                raise ApiError(
                    409, "comment_not_reportable", f"A {status.value} comment cannot be reported.", status=status.value
                )
            try:
                async with conn.begin_nested():
                    report_id = await repo.insert_report(
                        conn,
                        {
                            "comment_id": comment_id,
                            "site_id": site.id,
                            "reporter_id": data.reporter_id,
                            "reason": data.reason,
                            "note": data.note,
                            "created_at": now,
                        },
                    )
            except IntegrityError:
                raise ApiError(409, "already_reported", "This reader already reported this comment.") from None
            count = await repo.count_reports(conn, comment_id)
            if status == CommentStatus.PUBLISHED and count >= policy.limits.report_limit:
                transition = await comments_repo.set_status(
                    conn,
                    comment_id,
                    CommentStatus.PUBLISHED,
                    CommentStatus.HELD,
                    REPORTED,
                    f"system:reports@{policy.version[:12]}",
                    now,
                    f"{count} reader reports (limit {policy.limits.report_limit})",
                )
                if transition is not None:
                    status = CommentStatus.HELD
                    delivery_id = transition.webhook_delivery_id
        log.info("comment.reported", comment_id=comment_id, reports=count, status=status.value)
        if delivery_id is not None:
            await self.dispatcher.deliver_webhook(delivery_id)
        return ReportRead(report_id, comment_id, data.reporter_id, data.reason, count, status.value, now)
