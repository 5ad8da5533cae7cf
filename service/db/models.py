"""The tables: sites, articles, authors, comments and the append-only comment history."""

from __future__ import annotations

import enum
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    DateTime,
    Enum,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
    func,
    text,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

# Stable constraint names so Alembic migrations read the same on SQLite and PostgreSQL.
NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

# BIGINT keys on PostgreSQL, but INTEGER on SQLite, where only INTEGER PRIMARY KEY autoincrements.
BigId = BigInteger().with_variant(Integer(), "sqlite")


class UtcDateTime(TypeDecorator[datetime]):
    """Timestamps come back timezone-aware from every database (SQLite drops the zone; they are UTC)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is not None and value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value


Timestamp = UtcDateTime()


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


class CommentStatus(enum.StrEnum):
    PENDING = "pending"
    PUBLISHED = "published"
    HELD = "held"
    REJECTED = "rejected"
    DELETED = "deleted"


class AuthorStatus(enum.StrEnum):
    ACTIVE = "active"
    TRUSTED = "trusted"
    PREMODERATED = "premoderated"
    SUSPENDED = "suspended"
    BANNED = "banned"


def _enum(cls: type[enum.StrEnum], name: str) -> Enum:
    # Stored as plain strings with a CHECK, so adding a state later is a small migration.
    return Enum(cls, name=name, native_enum=False, length=16, values_callable=lambda e: [m.value for m in e])


class Site(Base):
    __tablename__ = "sites"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    slug: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    api_key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    webhook_url: Mapped[str | None] = mapped_column(String(2000))
    # Needed in clear to sign events; set by the operator, never returned by the API.
    webhook_secret: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(Timestamp, server_default=func.now())


class Article(Base):
    __tablename__ = "articles"
    __table_args__ = (UniqueConstraint("site_id", "external_id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id", ondelete="CASCADE"))
    external_id: Mapped[str] = mapped_column(String(200))
    title: Mapped[str | None] = mapped_column(String(500))
    url: Mapped[str | None] = mapped_column(String(2000))
    section: Mapped[str | None] = mapped_column(String(100))
    closed: Mapped[bool] = mapped_column(Boolean, default=False)
    premoderated: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(Timestamp)
    updated_at: Mapped[datetime] = mapped_column(Timestamp)


class Author(Base):
    __tablename__ = "authors"
    __table_args__ = (UniqueConstraint("site_id", "external_id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id", ondelete="CASCADE"))
    external_id: Mapped[str] = mapped_column(String(200))
    name: Mapped[str] = mapped_column(String(200))
    status: Mapped[AuthorStatus] = mapped_column(_enum(AuthorStatus, "author_status"))
    status_until: Mapped[datetime | None] = mapped_column(Timestamp)
    created_at: Mapped[datetime] = mapped_column(Timestamp)


# Comments waiting for a worker (a partial-index predicate, on PostgreSQL and SQLite alike).
_PENDING = text("status = 'pending'")


class Comment(Base):
    __tablename__ = "comments"
    __table_args__ = (
        # Listing an article's thread and paging it by id.
        Index("ix_comments_article_status_id", "article_id", "status", "id"),
        # Duplicate check: same author, same normalised text, recent.
        Index("ix_comments_author_body_hash", "author_id", "body_hash", "created_at"),
        Index("ix_comments_status_updated", "status", "updated_at"),
        # The workers' queue: the oldest waiting comments, found without walking every decided one.
        Index("ix_comments_pending_id", "id", postgresql_where=_PENDING, sqlite_where=_PENDING),
    )

    # Time-ordered UUIDv7 text: public, unguessable across sites, and sorts by creation.
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id", ondelete="CASCADE"), index=True)
    article_id: Mapped[int] = mapped_column(ForeignKey("articles.id", ondelete="CASCADE"))
    author_id: Mapped[int] = mapped_column(ForeignKey("authors.id", ondelete="CASCADE"))
    parent_id: Mapped[str | None] = mapped_column(ForeignKey("comments.id", ondelete="SET NULL"))
    # The top of the thread, so a page of threads loads its replies in one query.
    root_id: Mapped[str | None] = mapped_column(String(36), index=True)
    body: Mapped[str] = mapped_column(Text)
    body_hash: Mapped[str] = mapped_column(String(64))
    author_ip: Mapped[str | None] = mapped_column(String(45))
    status: Mapped[CommentStatus] = mapped_column(_enum(CommentStatus, "comment_status"))
    status_reason: Mapped[str | None] = mapped_column(String(64))
    # Scoring attempts so far; past the limit the comment is held for a person, never published unseen.
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    # A worker's lease on a pending comment it is scoring; expired leases are free to take again.
    claimed_until: Mapped[datetime | None] = mapped_column(Timestamp)
    # Highest category score, so a queue can sort by it without reading every score.
    max_score: Mapped[float | None] = mapped_column(Float)
    created_at: Mapped[datetime] = mapped_column(Timestamp)
    updated_at: Mapped[datetime] = mapped_column(Timestamp)


class CommentScore(Base):
    """One row per category, so queues can filter by any category's score in SQL."""

    __tablename__ = "comment_scores"
    __table_args__ = (
        UniqueConstraint("comment_id", "category"),
        Index("ix_comment_scores_category_score", "category", "score"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    comment_id: Mapped[str] = mapped_column(ForeignKey("comments.id", ondelete="CASCADE"))
    category: Mapped[str] = mapped_column(String(64))
    score: Mapped[float] = mapped_column(Float)
    model_name: Mapped[str] = mapped_column(String(200))
    model_version: Mapped[str] = mapped_column(String(64))


class PolicyDecision(Base):
    """What the policy decided for a comment and why: matched rules, reasons, versions."""

    __tablename__ = "policy_decisions"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    comment_id: Mapped[str] = mapped_column(ForeignKey("comments.id", ondelete="CASCADE"), unique=True)
    action: Mapped[str] = mapped_column(String(16))
    reasons: Mapped[list[str]] = mapped_column(JSON)
    matched: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    policy_name: Mapped[str] = mapped_column(String(200))
    policy_version: Mapped[str] = mapped_column(String(64))
    model_name: Mapped[str | None] = mapped_column(String(200))
    model_version: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(Timestamp)


class WebhookDelivery(Base):
    """One event for a site's webhook and the outcome of delivering it."""

    __tablename__ = "webhook_deliveries"
    __table_args__ = (Index("ix_webhook_deliveries_state_next_attempt", "state", "next_attempt_at"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id", ondelete="CASCADE"), index=True)
    comment_id: Mapped[str | None] = mapped_column(String(36), index=True)
    event_type: Mapped[str] = mapped_column(String(64))
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    state: Mapped[str] = mapped_column(String(16))  # pending | delivered | failed
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    # When a worker may next try; also its short lease while one is trying, so none are sent twice.
    next_attempt_at: Mapped[datetime] = mapped_column(Timestamp)
    last_status_code: Mapped[int | None] = mapped_column(Integer)
    last_error: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(Timestamp)
    delivered_at: Mapped[datetime | None] = mapped_column(Timestamp)


class CommentHistory(Base):
    """Append-only: one row per state change, never updated or deleted by the service."""

    __tablename__ = "comment_history"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    comment_id: Mapped[str] = mapped_column(ForeignKey("comments.id", ondelete="CASCADE"), index=True)
    actor: Mapped[str] = mapped_column(String(200))  # "site", "system:policy@<version>", "moderator:<id>"
    from_status: Mapped[str | None] = mapped_column(String(16))
    to_status: Mapped[str] = mapped_column(String(16))
    reason: Mapped[str | None] = mapped_column(String(64))
    note: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(Timestamp)


class IdempotencyRecord(Base):
    """The first answer to a request with an Idempotency-Key, replayed for retries of the same body."""

    __tablename__ = "idempotency_keys"
    __table_args__ = (UniqueConstraint("site_id", "key"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id", ondelete="CASCADE"))
    key: Mapped[str] = mapped_column(String(200))
    request_hash: Mapped[str] = mapped_column(String(64))
    status_code: Mapped[int] = mapped_column(Integer)
    response: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(Timestamp)


class ModeratorRole(enum.StrEnum):
    MODERATOR = "moderator"
    ADMIN = "admin"


class Moderator(Base):
    """A person who works the queue; only a hash of the bearer token is stored."""

    __tablename__ = "moderators"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    role: Mapped[ModeratorRole] = mapped_column(_enum(ModeratorRole, "moderator_role"))
    created_at: Mapped[datetime] = mapped_column(Timestamp)
    revoked_at: Mapped[datetime | None] = mapped_column(Timestamp)


class ModeratorSite(Base):
    """The sites a moderator may act on; everything else answers 404 to them."""

    __tablename__ = "moderator_sites"

    moderator_id: Mapped[int] = mapped_column(ForeignKey("moderators.id", ondelete="CASCADE"), primary_key=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id", ondelete="CASCADE"), primary_key=True)


class ModeratorClaim(Base):
    """A moderator's short hold on a queued comment, so two people do not judge it at once.

    Separate from `Comment.claimed_until`, which is a worker's scoring lease.
    """

    __tablename__ = "moderator_claims"

    comment_id: Mapped[str] = mapped_column(ForeignKey("comments.id", ondelete="CASCADE"), primary_key=True)
    moderator_id: Mapped[int] = mapped_column(ForeignKey("moderators.id", ondelete="CASCADE"))
    claimed_at: Mapped[datetime] = mapped_column(Timestamp)
    expires_at: Mapped[datetime] = mapped_column(Timestamp)


class CommentReport(Base):
    """A reader's report of a comment; one per reader and comment."""

    __tablename__ = "comment_reports"
    __table_args__ = (UniqueConstraint("comment_id", "reporter_id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    comment_id: Mapped[str] = mapped_column(ForeignKey("comments.id", ondelete="CASCADE"), index=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id", ondelete="CASCADE"))
    reporter_id: Mapped[str] = mapped_column(String(200))
    reason: Mapped[str] = mapped_column(String(64))
    note: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(Timestamp)


class AuthorHistory(Base):
    """Append-only: one row per change of an author's status, for the audit trail."""

    __tablename__ = "author_history"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    author_id: Mapped[int] = mapped_column(ForeignKey("authors.id", ondelete="CASCADE"), index=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id", ondelete="CASCADE"))
    actor: Mapped[str] = mapped_column(String(200))
    from_status: Mapped[str] = mapped_column(String(16))
    to_status: Mapped[str] = mapped_column(String(16))
    status_until: Mapped[datetime | None] = mapped_column(Timestamp)
    reason: Mapped[str | None] = mapped_column(String(64))
    note: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(Timestamp)


class ModerationLabel(Base):
    """A moderator's decision beside the policy's, so a policy replay can measure its precision.

    `agreed` is True when the moderator confirmed what the system did (rejected a comment it held,
    approved one it published) and False when they overturned it.
    """

    __tablename__ = "moderation_labels"
    __table_args__ = (Index("ix_moderation_labels_site_created", "site_id", "created_at"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    comment_id: Mapped[str] = mapped_column(ForeignKey("comments.id", ondelete="CASCADE"), index=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id", ondelete="CASCADE"))
    moderator_id: Mapped[int | None] = mapped_column(ForeignKey("moderators.id", ondelete="SET NULL"))
    action: Mapped[str] = mapped_column(String(16))  # approve | reject
    reason_code: Mapped[str] = mapped_column(String(64))
    held_reason: Mapped[str | None] = mapped_column(String(64))  # the comment's status_reason when decided
    system_action: Mapped[str | None] = mapped_column(String(16))  # the policy's publish | hold | reject
    system_reasons: Mapped[list[str]] = mapped_column(JSON)
    policy_name: Mapped[str | None] = mapped_column(String(200))
    policy_version: Mapped[str | None] = mapped_column(String(64))
    agreed: Mapped[bool | None] = mapped_column(Boolean)
    created_at: Mapped[datetime] = mapped_column(Timestamp)
