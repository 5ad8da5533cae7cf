"""HTTP adapters for moderators: parse, call the service, answer."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from litestar import Controller, delete, get, post, put
from litestar.params import Parameter

from service.moderation.audit import AuditFilters, AuditService
from service.moderation.auth import ModeratorContext
from service.moderation.authors import AuthorActionService
from service.moderation.schemas import (
    AuditPage,
    AuthorRead,
    AuthorUpdate,
    BulkDecisionCreate,
    BulkDecisionRead,
    ClaimRead,
    CommentDetail,
    CommentHistoryRead,
    DecisionCreate,
    DecisionRead,
    QueuePage,
)
from service.moderation.services import ModerationService, QueueFilters, QueueSort

Text = Annotated[str | None, Parameter(max_length=200)]


class ModerationController(Controller):
    path = "/v1/moderation"
    tags = ["moderation"]

    @get("/queue", operation_id="listModerationQueue")
    async def queue(
        self,
        moderator: ModeratorContext,
        moderation: ModerationService,
        site_slug: Annotated[str | None, Parameter(query="site", max_length=200)] = None,
        status: Literal["held", "reported"] | None = None,
        article_id: Text = None,
        section: Text = None,
        reason: Text = None,
        min_score: Annotated[float | None, Parameter(ge=0, le=1)] = None,
        category: Annotated[str | None, Parameter(max_length=64)] = None,
        author_id: Text = None,
        sort: QueueSort = "oldest",
        limit: Annotated[int, Parameter(ge=1, le=200)] = 50,
        cursor: Annotated[str | None, Parameter(max_length=500)] = None,
    ) -> QueuePage:
        """Held and reported comments in scope, with counts per reason, site and queue; keyset pages."""
        filters = QueueFilters(
            site_slug, status, article_id, section, reason, min_score, category, author_id, sort, limit, cursor
        )
        return await moderation.queue(moderator, filters)

    @get("/comments/{comment_id:str}", operation_id="getModerationComment")
    async def detail(
        self, comment_id: str, moderator: ModeratorContext, moderation: ModerationService
    ) -> CommentDetail:
        """Everything needed to judge a comment: text, article, author, parent, scores, rules, reports, history."""
        return await moderation.detail(moderator, comment_id)

    @get("/comments/{comment_id:str}/history", operation_id="getModerationCommentHistory")
    async def history(
        self, comment_id: str, moderator: ModeratorContext, moderation: ModerationService
    ) -> CommentHistoryRead:
        """Every change of the comment, oldest first."""
        return await moderation.history(moderator, comment_id)

    @post("/comments/{comment_id:str}/decision", operation_id="decideComment", status_code=200)
    async def decide(
        self, comment_id: str, data: DecisionCreate, moderator: ModeratorContext, moderation: ModerationService
    ) -> DecisionRead:
        """Approve (publish) or reject a held comment; 409 if someone else decided or holds a claim."""
        return await moderation.decide(moderator, comment_id, data)

    @post("/decisions", operation_id="decideComments", status_code=200)
    async def decide_bulk(
        self, data: BulkDecisionCreate, moderator: ModeratorContext, moderation: ModerationService
    ) -> BulkDecisionRead:
        """Up to 200 decisions in one transaction, with a result per item."""
        return await moderation.decide_bulk(moderator, data)

    @post("/comments/{comment_id:str}/claim", operation_id="claimComment", status_code=200)
    async def claim(self, comment_id: str, moderator: ModeratorContext, moderation: ModerationService) -> ClaimRead:
        """Claim a queued comment for a while, so others see you are on it; claiming again renews it."""
        return await moderation.claim(moderator, comment_id)

    @delete("/comments/{comment_id:str}/claim", operation_id="releaseCommentClaim", status_code=204)
    async def release(self, comment_id: str, moderator: ModeratorContext, moderation: ModerationService) -> None:
        """Give a claim back (an admin may release anyone's)."""
        await moderation.release(moderator, comment_id)

    @put("/authors/{site_slug:str}/{author_id:str}", operation_id="setAuthorStatus")
    async def author(
        self,
        site_slug: str,
        author_id: str,
        data: AuthorUpdate,
        moderator: ModeratorContext,
        authors: AuthorActionService,
    ) -> AuthorRead:
        """Set an author's status: active, trusted, premoderated, suspended (with until) or banned."""
        return await authors.set_status(moderator, site_slug, author_id, data)

    @get("/audit", operation_id="listAuditTrail")
    async def audit(
        self,
        moderator: ModeratorContext,
        audit: AuditService,
        site_slug: Annotated[str | None, Parameter(query="site", max_length=200)] = None,
        moderator_id: int | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
        limit: Annotated[int, Parameter(ge=1, le=500)] = 100,
        cursor: Annotated[str | None, Parameter(max_length=500)] = None,
    ) -> AuditPage:
        """Every change to comments and authors in scope, newest first (admins)."""
        return await audit.audit(moderator, AuditFilters(site_slug, moderator_id, since, until, limit, cursor))
