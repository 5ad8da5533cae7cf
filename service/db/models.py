"""The tables: sites, articles, authors, comments and the append-only comment history."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    DateTime,
    Enum,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    UniqueConstraint,
    func,
)
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
Timestamp = DateTime(timezone=True)


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


class Comment(Base):
    __tablename__ = "comments"
    __table_args__ = (
        # Listing an article's thread and paging it by id.
        Index("ix_comments_article_status_id", "article_id", "status", "id"),
        # Duplicate check: same author, same normalised text, recent.
        Index("ix_comments_author_body_hash", "author_id", "body_hash", "created_at"),
        Index("ix_comments_status_updated", "status", "updated_at"),
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
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(Timestamp)
    updated_at: Mapped[datetime] = mapped_column(Timestamp)


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
