"""What moderator clients send and receive; one Struct per direction."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

import msgspec

ReasonCode = Annotated[str, msgspec.Meta(min_length=1, max_length=64)]
Note = Annotated[str, msgspec.Meta(max_length=2000)]
CommentId = Annotated[str, msgspec.Meta(min_length=1, max_length=36)]
Action = Literal["approve", "reject"]
AuthorStatusName = Literal["active", "trusted", "premoderated", "suspended", "banned"]

MAX_BULK_ITEMS = 200


class DecisionCreate(msgspec.Struct, forbid_unknown_fields=True):
    """`version` is the comment's `version` the moderator saw; a newer one answers 409."""

    action: Action
    reason_code: ReasonCode
    note: Note | None = None
    version: int | None = None


class BulkDecisionItem(msgspec.Struct, forbid_unknown_fields=True):
    comment_id: CommentId
    action: Action
    reason_code: ReasonCode
    note: Note | None = None
    version: int | None = None


class BulkDecisionCreate(msgspec.Struct, forbid_unknown_fields=True):
    items: Annotated[list[BulkDecisionItem], msgspec.Meta(min_length=1, max_length=MAX_BULK_ITEMS)]


class AuthorUpdate(msgspec.Struct, forbid_unknown_fields=True):
    """`until` is required for `suspended`; `reject_pending` only applies to `banned`."""

    status: AuthorStatusName
    until: datetime | None = None
    reason_code: ReasonCode | None = None
    note: Note | None = None
    reject_pending: bool = False


class ModeratorRef(msgspec.Struct):
    id: int
    name: str


class ClaimRead(msgspec.Struct):
    comment_id: str
    moderator: ModeratorRef
    claimed_at: datetime
    expires_at: datetime


class ArticleRef(msgspec.Struct):
    id: str
    title: str | None
    url: str | None
    section: str | None


class QueueAuthor(msgspec.Struct):
    id: str
    name: str
    status: str


class QueueItem(msgspec.Struct):
    id: str
    site: str
    queue: str  # held | reported
    reason: str | None
    body: str
    article: ArticleRef
    author: QueueAuthor
    max_score: float | None
    reports: int
    version: int
    claim: ClaimRead | None
    created_at: datetime
    updated_at: datetime


class QueueCounts(msgspec.Struct):
    total: int
    by_reason: dict[str, int]
    by_site: dict[str, int]
    by_queue: dict[str, int]


class QueuePage(msgspec.Struct):
    items: list[QueueItem]
    next_cursor: str | None
    counts: QueueCounts


class HistoryEntry(msgspec.Struct):
    id: int
    actor: str
    actor_type: str  # system | moderator | site
    moderator: ModeratorRef | None
    policy_version: str | None
    from_status: str | None
    to_status: str
    reason: str | None
    note: str | None
    at: datetime


class ScoreRead(msgspec.Struct):
    category: str
    score: float
    model_name: str
    model_version: str


class PolicyDecisionRead(msgspec.Struct):
    action: str
    reasons: list[str]
    matched: list[dict[str, object]]
    policy_name: str
    policy_version: str
    model_name: str | None
    model_version: str | None
    decided_at: datetime


class ReportRead(msgspec.Struct):
    reporter_id: str
    reason: str
    note: str | None
    created_at: datetime


class DetailAuthor(msgspec.Struct):
    id: str
    name: str
    status: str
    status_until: datetime | None
    approved_comments: int
    rejected_comments: int


class ParentRead(msgspec.Struct):
    id: str
    body: str
    status: str
    author_name: str
    created_at: datetime


class CommentDetail(msgspec.Struct):
    id: str
    site: str
    status: str
    status_reason: str | None
    version: int
    body: str
    created_at: datetime
    updated_at: datetime
    article: ArticleRef
    author: DetailAuthor
    parent: ParentRead | None
    scores: list[ScoreRead]
    policy: PolicyDecisionRead | None
    reports: list[ReportRead]
    claim: ClaimRead | None
    history: list[HistoryEntry]


class CommentHistoryRead(msgspec.Struct):
    comment_id: str
    history: list[HistoryEntry]


class DecisionRead(msgspec.Struct):
    comment_id: str
    status: str
    reason_code: str
    version: int
    decided_by: ModeratorRef
    decided_at: datetime


class BulkItemResult(msgspec.Struct):
    comment_id: str
    ok: bool
    status: str | None = None
    version: int | None = None
    error: dict[str, object] | None = None


class BulkDecisionRead(msgspec.Struct):
    decided: int
    failed: int
    results: list[BulkItemResult]


class AuthorRead(msgspec.Struct):
    site: str
    id: str
    name: str
    status: str
    status_until: datetime | None
    rejected_comments: list[str]


class AuditEntry(msgspec.Struct):
    kind: str  # comment | author
    id: int
    site: str
    comment_id: str | None
    author_id: str | None
    actor: str
    actor_type: str
    moderator: ModeratorRef | None
    policy_version: str | None
    from_status: str | None
    to_status: str
    reason: str | None
    note: str | None
    at: datetime


class AuditPage(msgspec.Struct):
    items: list[AuditEntry]
    next_cursor: str | None
