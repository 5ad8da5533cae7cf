"""What clients send and receive for comments; one Struct per direction."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import msgspec

ExternalId = Annotated[str, msgspec.Meta(min_length=1, max_length=200)]
Name = Annotated[str, msgspec.Meta(min_length=1, max_length=200)]


class AuthorIn(msgspec.Struct, forbid_unknown_fields=True):
    id: ExternalId
    name: Name
    ip: Annotated[str, msgspec.Meta(max_length=45)] | None = None


class ArticleIn(msgspec.Struct, forbid_unknown_fields=True):
    title: Annotated[str, msgspec.Meta(max_length=500)] | None = None
    url: Annotated[str, msgspec.Meta(max_length=2000)] | None = None
    section: Annotated[str, msgspec.Meta(max_length=100)] | None = None


class CommentCreate(msgspec.Struct, forbid_unknown_fields=True):
    article_id: ExternalId
    author: AuthorIn
    body: str
    parent_id: Annotated[str, msgspec.Meta(max_length=36)] | None = None
    article: ArticleIn | None = None


class AuthorRead(msgspec.Struct):
    id: str
    name: str


class CommentRead(msgspec.Struct):
    id: str
    article_id: str
    author: AuthorRead
    body: str | None
    parent_id: str | None
    status: str
    status_reason: str | None
    created_at: datetime
    updated_at: datetime


class ThreadNode(msgspec.Struct):
    """A published comment with its replies; an unpublished comment between them shows as `removed`."""

    id: str
    author: AuthorRead | None
    body: str | None
    status: str
    created_at: datetime
    replies: list[ThreadNode]


class ThreadPage(msgspec.Struct):
    article_id: str
    comments: list[ThreadNode]
    next_cursor: str | None
