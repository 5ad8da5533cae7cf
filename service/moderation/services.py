"""Moderator rules: what a moderator may see and change, decisions with no silent overwrite, claims."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Literal, NoReturn

import structlog
from sqlalchemy import and_, func, or_
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from policies import PolicyStore
from service.comments import repository as comments_repo
from service.db.models import Article, Author, Comment, CommentStatus
from service.dispatch import TaskDispatcher
from service.errors import ApiError, not_found
from service.moderation import repository as repo
from service.moderation.auth import ModeratorContext
from service.moderation.reasons import REPORTED, check_reason_code
from service.moderation.schemas import (
    ArticleRef,
    BulkDecisionCreate,
    BulkDecisionRead,
    BulkItemResult,
    ClaimRead,
    CommentDetail,
    CommentHistoryRead,
    DecisionCreate,
    DecisionRead,
    DetailAuthor,
    ModeratorRef,
    ParentRead,
    PolicyDecisionRead,
    QueueAuthor,
    QueueCounts,
    QueueItem,
    QueuePage,
    ReportRead,
    ScoreRead,
)
from service.moderation.views import (
    actor_details,
    claim_read,
    decode_cursor,
    encode_cursor,
    history_entry,
    moderator_ids,
    utc,
)

log = structlog.get_logger()

QueueSort = Literal["oldest", "newest", "score"]


@dataclass(frozen=True, slots=True)
class QueueFilters:
    site: str | None = None
    queue: str | None = None  # held | reported
    article_id: str | None = None
    section: str | None = None
    reason: str | None = None
    min_score: float | None = None
    category: str | None = None
    author_id: str | None = None
    sort: QueueSort = "oldest"
    limit: int = 50
    cursor: str | None = None


@dataclass(frozen=True, slots=True)
class _Decided:
    answer: DecisionRead
    delivery_id: int | None


def scope(moderator: ModeratorContext, site: str | None) -> frozenset[int]:
    """The site ids to look in; a site outside the moderator's scope is as unknown as a missing one."""
    if site is None:
        return moderator.site_ids
    if site not in moderator.sites:
        raise not_found("site")
    return frozenset({moderator.sites[site]})


@dataclass(frozen=True, slots=True)
class ModerationService:
    engine: AsyncEngine
    policies: PolicyStore
    dispatcher: TaskDispatcher
    claim_seconds: int

    async def queue(self, moderator: ModeratorContext, filters: QueueFilters) -> QueuePage:
        site_ids = scope(moderator, filters.site)
        now = datetime.now(UTC)
        query, score = repo.queue_query(site_ids, now, filters.category)
        query = query.where(repo.in_queue(filters.queue))
        if filters.article_id is not None:
            query = query.where(Article.external_id == filters.article_id)
        if filters.section is not None:
            query = query.where(Article.section == filters.section)
        if filters.reason is not None:
            query = query.where(Comment.status_reason == filters.reason)
        if filters.author_id is not None:
            query = query.where(Author.external_id == filters.author_id)
        if filters.min_score is not None:
            query = query.where(score >= filters.min_score)
        query = _keyset(query, score, filters)
        async with self.engine.connect() as conn:
            rows = (await conn.execute(query.limit(filters.limit + 1))).all()
            counts = await repo.queue_counts(conn, site_ids)
        page = rows[: filters.limit]
        next_cursor = None
        if len(rows) > filters.limit:
            last = page[-1]
            key = -1.0 if last.sort_score is None else last.sort_score
            next_cursor = encode_cursor([key, last.id] if filters.sort == "score" else [last.id])
        return QueuePage(items=[_queue_item(row) for row in page], next_cursor=next_cursor, counts=_counts(counts))

    async def detail(self, moderator: ModeratorContext, comment_id: str) -> CommentDetail:
        async with self.engine.connect() as conn:
            row = await repo.comment_detail(conn, comment_id, moderator.site_ids)
            if row is None:
                raise not_found()
            counts = await repo.author_counts(conn, row.author_id)
            parent = await repo.parent_comment(conn, row.parent_id) if row.parent_id else None
            scores = await repo.scores(conn, comment_id)
            decision = await repo.policy_decision(conn, comment_id)
            reports = await repo.reports(conn, comment_id)
            claim = await repo.find_claim(conn, comment_id)
            history = await repo.history(conn, comment_id)
            names = await repo.moderator_names(conn, moderator_ids(entry.actor for entry in history))
        return CommentDetail(
            id=row.id,
            site=row.site,
            status=str(row.status),
            status_reason=row.status_reason,
            version=row.version,
            body=row.body,
            created_at=utc(row.created_at),
            updated_at=utc(row.updated_at),
            article=ArticleRef(row.article_id, row.article_title, row.article_url, row.article_section),
            author=DetailAuthor(
                id=row.author_external_id,
                name=row.author_name,
                status=str(row.author_status),
                status_until=None if row.author_status_until is None else utc(row.author_status_until),
                approved_comments=counts.get(CommentStatus.PUBLISHED, 0),
                rejected_comments=counts.get(CommentStatus.REJECTED, 0),
            ),
            parent=ParentRead(parent.id, parent.body, str(parent.status), parent.author_name, utc(parent.created_at))
            if parent
            else None,
            scores=[ScoreRead(s.category, s.score, s.model_name, s.model_version) for s in scores],
            policy=_policy_read(decision) if decision else None,
            reports=[ReportRead(r.reporter_id, r.reason, r.note, utc(r.created_at)) for r in reports],
            claim=_live_claim(claim, datetime.now(UTC)),
            history=[history_entry(entry, names) for entry in history],
        )

    async def history(self, moderator: ModeratorContext, comment_id: str) -> CommentHistoryRead:
        async with self.engine.connect() as conn:
            if await repo.comment_detail(conn, comment_id, moderator.site_ids) is None:
                raise not_found()
            history = await repo.history(conn, comment_id)
            names = await repo.moderator_names(conn, moderator_ids(entry.actor for entry in history))
        return CommentHistoryRead(comment_id, [history_entry(entry, names) for entry in history])

    async def decide(self, moderator: ModeratorContext, comment_id: str, data: DecisionCreate) -> DecisionRead:
        now = datetime.now(UTC)
        async with self.engine.begin() as conn:
            decided = await self._decide(conn, moderator, comment_id, data, now)
        log.info("moderation.decided", comment_id=comment_id, action=data.action, reason_code=data.reason_code)
        if decided.delivery_id is not None:
            await self.dispatcher.deliver_webhook(decided.delivery_id)
        return decided.answer

    async def decide_bulk(self, moderator: ModeratorContext, data: BulkDecisionCreate) -> BulkDecisionRead:
        """One transaction; each item in its own savepoint, so one failure leaves the others decided."""
        now = datetime.now(UTC)
        results: dict[int, BulkItemResult] = {}
        deliveries: list[int] = []
        # Locking in id order, so two bulk requests over the same comments cannot deadlock.
        order = sorted(range(len(data.items)), key=lambda index: data.items[index].comment_id)
        async with self.engine.begin() as conn:
            for index in order:
                item = data.items[index]
                decision = DecisionCreate(item.action, item.reason_code, item.note, item.version)
                try:
                    async with conn.begin_nested():
                        decided = await self._decide(conn, moderator, item.comment_id, decision, now)
                except ApiError as error:
                    error_body = {"code": error.code, "message": error.message, **error.details}
                    results[index] = BulkItemResult(item.comment_id, ok=False, error=error_body)
                    continue
                results[index] = BulkItemResult(
                    item.comment_id, ok=True, status=decided.answer.status, version=decided.answer.version
                )
                if decided.delivery_id is not None:
                    deliveries.append(decided.delivery_id)
        ordered = [results[index] for index in range(len(data.items))]
        ok = sum(1 for result in ordered if result.ok)
        log.info("moderation.bulk_decided", decided=ok, failed=len(ordered) - ok)
        for delivery_id in deliveries:
            await self.dispatcher.deliver_webhook(delivery_id)
        return BulkDecisionRead(decided=ok, failed=len(ordered) - ok, results=ordered)

    async def _decide(
        self, conn: AsyncConnection, moderator: ModeratorContext, comment_id: str, data: DecisionCreate, now: datetime
    ) -> _Decided:
        row = await repo.lock_comment(conn, comment_id, moderator.site_ids)
        if row is None:
            raise not_found()
        site_slug = next(slug for slug, site_id in moderator.sites.items() if site_id == row.site_id)
        check_reason_code(self.policies.for_site(site_slug), data.reason_code)
        latest = await repo.latest_change(conn, comment_id)
        if row.status != CommentStatus.HELD:
            await _refuse_not_held(conn, row.status, latest)
        if data.version is not None and data.version != latest.id:
            names = await repo.moderator_names(conn, moderator_ids([latest.actor]))
            raise ApiError(
                409,
                "comment_changed",
                "The comment changed since you saw it; reload it.",
                version=latest.id,
                status=str(row.status),
                **actor_details(latest.actor, latest.created_at, names),
            )
        claim = await repo.find_claim(conn, comment_id)
        _refuse_others_claim(claim, moderator, now)
        to_status = CommentStatus.PUBLISHED if data.action == "approve" else CommentStatus.REJECTED
        transition = await comments_repo.set_status(
            conn, comment_id, CommentStatus.HELD, to_status, data.reason_code, moderator.actor, now, data.note
        )
        if transition is None:  # only where the row lock is not real (SQLite); the guard still holds
            latest = await repo.latest_change(conn, comment_id)
            await _refuse_not_held(conn, CommentStatus.PUBLISHED, latest)
        await repo.release_claim(conn, comment_id)
        await repo.insert_label(conn, await _label(conn, row, moderator, data, now))
        version = (await repo.latest_change(conn, comment_id)).id
        answer = DecisionRead(
            comment_id=comment_id,
            status=str(to_status),
            reason_code=data.reason_code,
            version=version,
            decided_by=ModeratorRef(moderator.id, moderator.name),
            decided_at=now,
        )
        return _Decided(answer, transition.webhook_delivery_id)

    async def claim(self, moderator: ModeratorContext, comment_id: str) -> ClaimRead:
        now = datetime.now(UTC)
        async with self.engine.begin() as conn:
            row = await repo.lock_comment(conn, comment_id, moderator.site_ids)
            if row is None:
                raise not_found()
            if row.status != CommentStatus.HELD:
                raise ApiError(
                    409, "comment_not_in_queue", "Only a comment in the queue can be claimed.", status=str(row.status)
                )
            _refuse_others_claim(await repo.find_claim(conn, comment_id), moderator, now)
            expires = now + timedelta(seconds=self.claim_seconds)
            await repo.put_claim(conn, comment_id, moderator.id, now, expires)
        log.info("moderation.claimed", comment_id=comment_id)
        return claim_read(comment_id, moderator.id, moderator.name, now, expires)

    async def release(self, moderator: ModeratorContext, comment_id: str) -> None:
        """Give a claim back; an admin may also release someone else's."""
        now = datetime.now(UTC)
        async with self.engine.begin() as conn:
            if await repo.lock_comment(conn, comment_id, moderator.site_ids) is None:
                raise not_found()
            claim = await repo.find_claim(conn, comment_id)
            if claim is None:
                return
            if not moderator.is_admin:
                _refuse_others_claim(claim, moderator, now)
            await repo.release_claim(conn, comment_id)
        log.info("moderation.released", comment_id=comment_id)


def _keyset(query: Any, score: Any, filters: QueueFilters) -> Any:
    """Order and continue after the cursor; ids are time-ordered, so new comments never shift a page."""
    sort_score = func.coalesce(score, -1.0)
    query = query.add_columns(sort_score.label("sort_score"))
    if filters.sort == "score":
        if filters.cursor is not None:
            key, after = decode_cursor(filters.cursor, 2)
            if not isinstance(key, (int, float)) or not isinstance(after, str):
                raise ApiError(400, "invalid_cursor", "The cursor is not one this API gave out.", field="cursor")
            query = query.where(or_(sort_score < key, and_(sort_score == key, Comment.id > after)))
        return query.order_by(sort_score.desc(), Comment.id)
    after_id = None
    if filters.cursor is not None:
        (after_id,) = decode_cursor(filters.cursor, 1)
        if not isinstance(after_id, str):
            raise ApiError(400, "invalid_cursor", "The cursor is not one this API gave out.", field="cursor")
    if filters.sort == "newest":
        query = query.where(Comment.id < after_id) if after_id else query
        return query.order_by(Comment.id.desc())
    query = query.where(Comment.id > after_id) if after_id else query
    return query.order_by(Comment.id)


def _queue_item(row: Any) -> QueueItem:
    return QueueItem(
        id=row.id,
        site=row.site,
        queue=REPORTED if row.status_reason == REPORTED else "held",
        reason=row.status_reason,
        body=row.body,
        article=ArticleRef(row.article_id, row.article_title, row.article_url, row.article_section),
        author=QueueAuthor(row.author_id, row.author_name, str(row.author_status)),
        max_score=row.max_score,
        reports=row.reports,
        version=row.version,
        claim=claim_read(
            row.id, row.claim_moderator_id, row.claim_moderator_name, row.claim_claimed_at, row.claim_expires_at
        )
        if row.claim_moderator_id is not None
        else None,
        created_at=utc(row.created_at),
        updated_at=utc(row.updated_at),
    )


def _counts(rows: Any) -> QueueCounts:
    by_reason: dict[str, int] = {}
    by_site: dict[str, int] = {}
    by_queue = {"held": 0, REPORTED: 0}
    for row in rows:
        reason = row.status_reason or "none"
        by_reason[reason] = by_reason.get(reason, 0) + row.count
        by_site[row.slug] = by_site.get(row.slug, 0) + row.count
        by_queue[REPORTED if row.status_reason == REPORTED else "held"] += row.count
    return QueueCounts(total=sum(by_site.values()), by_reason=by_reason, by_site=by_site, by_queue=by_queue)


def _policy_read(row: Any) -> PolicyDecisionRead:
    return PolicyDecisionRead(
        action=row.action,
        reasons=list(row.reasons),
        matched=list(row.matched),
        policy_name=row.policy_name,
        policy_version=row.policy_version,
        model_name=row.model_name,
        model_version=row.model_version,
        decided_at=utc(row.created_at),
    )


def _live_claim(claim: Any, now: datetime) -> ClaimRead | None:
    if claim is None or utc(claim.expires_at) <= now:
        return None
    return claim_read(claim.comment_id, claim.moderator_id, claim.moderator_name, claim.claimed_at, claim.expires_at)


def _refuse_others_claim(claim: Any, moderator: ModeratorContext, now: datetime) -> None:
    live = _live_claim(claim, now)
    if live is not None and live.moderator.id != moderator.id:
        raise ApiError(
            409,
            "comment_claimed",
            f"{live.moderator.name} is working on this comment.",
            claimed_by={"id": live.moderator.id, "name": live.moderator.name},
            expires_at=live.expires_at.isoformat(),
        )


async def _refuse_not_held(conn: AsyncConnection, status: str, latest: Any) -> NoReturn:
    names = await repo.moderator_names(conn, moderator_ids([latest.actor]))
    if status == CommentStatus.PENDING:
        raise ApiError(
            409,
            "comment_not_in_queue",
            "The comment is still being scored; it is not in the queue.",
            status=str(status),
            version=latest.id,
        )
    raise ApiError(
        409,
        "comment_already_decided",
        f"The comment is already {latest.to_status}.",
        status=str(latest.to_status),
        version=latest.id,
        **actor_details(latest.actor, latest.created_at, names),
    )


async def _label(
    conn: AsyncConnection, row: Any, moderator: ModeratorContext, data: DecisionCreate, now: datetime
) -> dict[str, Any]:
    """The decision as a label beside the policy's, for replaying the policy later."""
    decision = await repo.policy_decision(conn, row.id)
    system_action = decision.action if decision is not None else None
    agreed: bool | None = None
    if row.status_reason == REPORTED:
        system_action = "publish"  # the policy let it through; readers disagreed
    if system_action in ("hold", "reject"):
        agreed = data.action == "reject"
    elif system_action == "publish":
        agreed = data.action == "approve"
    return {
        "comment_id": row.id,
        "site_id": row.site_id,
        "moderator_id": moderator.id,
        "action": data.action,
        "reason_code": data.reason_code,
        "held_reason": row.status_reason,
        "system_action": system_action,
        "system_reasons": list(decision.reasons) if decision is not None else [],
        "policy_name": decision.policy_name if decision is not None else None,
        "policy_version": decision.policy_version if decision is not None else None,
        "agreed": agreed,
        "created_at": now,
    }
