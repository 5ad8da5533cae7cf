"""Intake and reading of comments: every synchronous check, then one transaction, then the hand-off."""

from __future__ import annotations

import base64
import hashlib
import ipaddress
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import msgspec
import structlog
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from policies import Limits, PolicyStore
from service.comments import repository as repo
from service.comments.schemas import AuthorRead, CommentCreate, CommentRead, ThreadNode, ThreadPage
from service.db.models import AuthorStatus, CommentStatus
from service.dispatch import TaskDispatcher
from service.errors import ApiError, not_found
from service.ids import uuid7
from service.metrics import COMMENTS_ACCEPTED
from service.ratelimit import LimitCheck, RateLimiter
from service.sites.auth import SiteContext
from service.text import duplicate_fingerprint, first_forbidden_character, normalise, visible_length

log = structlog.get_logger()

SITE_ACTOR = "site"


@dataclass(frozen=True, slots=True)
class CommentService:
    engine: AsyncEngine
    policies: PolicyStore
    limiter: RateLimiter
    dispatcher: TaskDispatcher

    async def submit(
        self, site: SiteContext, data: CommentCreate, idempotency_key: str | None
    ) -> tuple[int, dict[str, Any]]:
        """Check, store and queue one comment; returns the HTTP status and body to answer with."""
        body = _checked_body(data.body)
        ip = _checked_ip(data.author.ip)
        limits = self.policies.for_site(site.slug).limits
        length = visible_length(body)
        if length > limits.max_length:
            raise ApiError(
                422,
                "comment_too_long",
                f"The comment is {length} characters; this site allows {limits.max_length}.",
                limit=limits.max_length,
                length=length,
            )
        if length < limits.min_length:
            raise ApiError(
                422,
                "comment_too_short",
                f"The comment is {length} characters; this site needs at least {limits.min_length}.",
                limit=limits.min_length,
                length=length,
            )
        request_hash = hashlib.sha256(msgspec.json.encode(data)).hexdigest()
        if idempotency_key is not None:
            async with self.engine.connect() as conn:
                replay = await _replay(conn, site.id, idempotency_key, request_hash)
            if replay is not None:
                return replay

        exceeded = await self.limiter.exceeded(_rate_checks(site, data, ip, limits))
        if exceeded is not None:
            scope, retry_after = exceeded
            error = ApiError(
                429,
                "rate_limited",
                f"Too many comments ({scope.replace('_', ' ')}); try again in {retry_after} s.",
                limit=scope,
                retry_after=retry_after,
            )
            error.headers["Retry-After"] = str(retry_after)
            raise error

        now = datetime.now(UTC)
        comment_id = uuid7()
        try:
            async with self.engine.begin() as conn:
                await self._store(conn, site, data, body, ip, limits.duplicate_window_seconds, comment_id, now)
                answer = {"id": comment_id, "status": CommentStatus.PENDING.value, "created_at": now.isoformat()}
                if idempotency_key is not None:
                    await repo.save_idempotency(
                        conn,
                        {
                            "site_id": site.id,
                            "key": idempotency_key,
                            "request_hash": request_hash,
                            "status_code": 202,
                            "response": answer,
                            "created_at": now,
                        },
                    )
        except IntegrityError:
            # Only a concurrent request with the same Idempotency-Key gets here; answer as it did.
            if idempotency_key is None:
                raise
            async with self.engine.connect() as conn:
                replay = await _replay(conn, site.id, idempotency_key, request_hash)
            if replay is None:
                raise
            return replay
        log.info("comment.accepted", comment_id=comment_id, length=length)
        COMMENTS_ACCEPTED.inc()
        await self.dispatcher.moderate(comment_id)
        return 202, answer

    async def _store(
        self,
        conn: AsyncConnection,
        site: SiteContext,
        data: CommentCreate,
        body: str,
        ip: str | None,
        duplicate_window_seconds: int,
        comment_id: str,
        now: datetime,
    ) -> None:
        article_fields = msgspec.structs.asdict(data.article) if data.article else {}
        article = await repo.get_or_create_article(conn, site.id, data.article_id, article_fields, now)
        if article.closed:
            raise ApiError(403, "article_closed", "This article is closed for comments.")
        author = await repo.get_or_create_author(conn, site.id, data.author.id, data.author.name, now)
        _check_author(author.status, author.status_until, now)
        root_id = None
        if data.parent_id is not None:
            parent = await repo.find_parent(conn, site.id, data.parent_id)
            if parent is None or parent.article_id != article.id:
                raise ApiError(
                    422, "invalid_parent", "`parent_id` is not a comment on this article.", field="parent_id"
                )
            root_id = parent.root_id or parent.id
        body_hash = duplicate_fingerprint(body)
        since = now - timedelta(seconds=duplicate_window_seconds)
        duplicate_of = await repo.find_duplicate(conn, author.id, body_hash, since)
        if duplicate_of is not None:
            raise ApiError(
                409,
                "duplicate_comment",
                "The same author posted the same text recently.",
                duplicate_of=duplicate_of,
            )
        await repo.insert_comment(
            conn,
            {
                "id": comment_id,
                "site_id": site.id,
                "article_id": article.id,
                "author_id": author.id,
                "parent_id": data.parent_id,
                "root_id": root_id,
                "body": body,
                "body_hash": body_hash,
                "author_ip": ip,
                "status": CommentStatus.PENDING,
                "attempts": 0,
                "created_at": now,
                "updated_at": now,
            },
            SITE_ACTOR,
        )

    async def read(self, site: SiteContext, comment_id: str) -> CommentRead:
        async with self.engine.connect() as conn:
            row = await repo.read_comment(conn, site.id, comment_id)
        if row is None:
            raise not_found()
        return _to_read(row)

    async def delete(self, site: SiteContext, comment_id: str) -> CommentRead:
        now = datetime.now(UTC)
        transition = None
        async with self.engine.begin() as conn:
            row = await repo.read_comment(conn, site.id, comment_id)
            if row is None:
                raise not_found()
            if row.status != CommentStatus.DELETED:
                transition = await repo.set_status(
                    conn, comment_id, row.status, CommentStatus.DELETED, "deleted_by_site", SITE_ACTOR, now
                )
                if transition is None:
                    raise ApiError(409, "comment_changed", "The comment changed while deleting it; try again.")
            row = await repo.read_comment(conn, site.id, comment_id)
        log.info("comment.deleted", comment_id=comment_id)
        if transition is not None and transition.webhook_delivery_id is not None:
            await self.dispatcher.deliver_webhook(transition.webhook_delivery_id)
        assert row is not None
        return _to_read(row)

    async def thread(self, site: SiteContext, article_external_id: str, limit: int, cursor: str | None) -> ThreadPage:
        after = _decode_cursor(cursor) if cursor else None
        async with self.engine.connect() as conn:
            article_id = await repo.find_article_id(conn, site.id, article_external_id)
            if article_id is None:
                return ThreadPage(article_id=article_external_id, comments=[], next_cursor=None)
            roots = await repo.thread_roots(conn, article_id, after, limit + 1)
            page = roots[:limit]
            replies = await repo.thread_replies(conn, [row.id for row in page])
        next_cursor = _encode_cursor(page[-1].id) if len(roots) > limit else None
        return ThreadPage(
            article_id=article_external_id, comments=_build_threads(page, replies), next_cursor=next_cursor
        )


def _checked_body(raw: str) -> str:
    body = normalise(raw)
    if not body:
        raise ApiError(422, "comment_empty", "The comment has no text.", field="body")
    position = first_forbidden_character(body)
    if position is not None:
        raise ApiError(
            422,
            "invalid_characters",
            "The comment contains control characters (only newline and tab are allowed).",
            field="body",
            position=position,
        )
    return body


def _checked_ip(raw: str | None) -> str | None:
    if raw is None:
        return None
    try:
        return str(ipaddress.ip_address(raw.strip()))
    except ValueError:
        raise ApiError(422, "invalid_field", "`author.ip` is not an IP address.", field="author.ip") from None


def _check_author(status: str, until: datetime | None, now: datetime) -> None:
    if status == AuthorStatus.BANNED:
        raise ApiError(403, "author_banned", "This author may not comment on this site.")
    if status == AuthorStatus.SUSPENDED and (until is None or until > now):
        raise ApiError(
            403,
            "author_suspended",
            "This author is suspended.",
            until=until.isoformat() if until else None,
        )


def _rate_checks(site: SiteContext, data: CommentCreate, ip: str | None, limits: Limits) -> list[LimitCheck]:
    site_key = str(site.id)
    checks = [
        LimitCheck("per_author", limits.rate_per_author, (site_key, data.author.id)),
        LimitCheck("per_author_article", limits.rate_per_author_article, (site_key, data.author.id, data.article_id)),
    ]
    if ip is not None:
        checks.append(LimitCheck("per_ip", limits.rate_per_ip, (site_key, ip)))
    return checks


async def _replay(
    conn: AsyncConnection, site_id: int, key: str, request_hash: str
) -> tuple[int, dict[str, Any]] | None:
    record = await repo.find_idempotency(conn, site_id, key)
    if record is None:
        return None
    if record.request_hash != request_hash:
        raise ApiError(
            422,
            "idempotency_key_reused",
            "This Idempotency-Key was used with a different request body.",
        )
    return record.status_code, dict(record.response)


def _encode_cursor(comment_id: str) -> str:
    return base64.urlsafe_b64encode(comment_id.encode()).decode().rstrip("=")


def _decode_cursor(cursor: str) -> str:
    try:
        decoded = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
    except (ValueError, UnicodeDecodeError):
        decoded = ""
    if len(decoded) != 36:
        raise ApiError(400, "invalid_cursor", "The cursor is not one this API gave out.", field="cursor")
    return decoded


def _to_read(row: Any) -> CommentRead:
    return CommentRead(
        id=row.id,
        article_id=row.article_external_id,
        author=AuthorRead(id=row.author_external_id, name=row.author_name),
        body=row.body,
        parent_id=row.parent_id,
        status=str(row.status),
        status_reason=row.status_reason,
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


def _build_threads(roots: Any, replies: Any) -> list[ThreadNode]:
    """Nest replies under parents; unpublished comments that have published replies become `removed`."""
    nodes: dict[str, ThreadNode] = {}
    parents: dict[str, str | None] = {}
    for row in [*roots, *replies]:
        published = row.status == CommentStatus.PUBLISHED
        nodes[row.id] = ThreadNode(
            id=row.id,
            author=AuthorRead(id=row.author_external_id, name=row.author_name) if published else None,
            body=row.body if published else None,
            status="published" if published else "removed",
            created_at=row.created_at,
            replies=[],
        )
        parents[row.id] = row.parent_id
    keep: set[str] = set()
    for node_id, node in nodes.items():
        if node.status == "published":
            current: str | None = node_id
            while current is not None and current not in keep:
                keep.add(current)
                current = parents.get(current)
    top: list[ThreadNode] = []
    for node_id in sorted(keep):  # ids are time-ordered: oldest first at every level
        parent = parents[node_id]
        if parent is None or parent not in nodes:
            top.append(nodes[node_id])
        else:
            nodes[parent].replies.append(nodes[node_id])
    return top
