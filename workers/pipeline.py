"""Moderation of pending comments: claim a batch, score it, apply each site's policy, record the outcome.

Plain functions over a sync engine, with no Celery types, so they are tested directly and the task
that calls them stays an adapter of a few lines.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

import structlog
from sqlalchemy import Connection, Engine, and_, case, cast, literal, or_, select, union_all, update

from policies import Decision, PolicyStore, evaluate
from service.db.bulk import insert_rows
from service.db.models import (
    Comment,
    CommentHistory,
    CommentScore,
    CommentStatus,
    PolicyDecision,
    Site,
)
from service.settings import PipelineSettings
from service.webhooks import StatusChange, record_status_changes
from workers.facts import batch_facts

log = structlog.get_logger()

CLASSIFICATION_FAILED = "classification_failed"
OUTCOME = {"publish": CommentStatus.PUBLISHED, "hold": CommentStatus.HELD, "reject": CommentStatus.REJECTED}


class Scorer(Protocol):
    @property
    def info(self) -> Any: ...

    def score(self, texts: Sequence[str]) -> list[dict[str, float]]: ...


class ScoringFailed(RuntimeError):
    """The model could not score a comment; the task retries, and past the limit the comment is held."""


@dataclass
class BatchResult:
    decided: dict[str, str] = field(default_factory=dict)  # comment id -> new status
    webhook_deliveries: list[int] = field(default_factory=list)
    leased_elsewhere: bool = False  # the asked-for comment is being scored by another worker


@dataclass
class _Writes:
    """Rows a batch adds, written at the end of its transaction with one statement per table."""

    history: list[dict[str, Any]] = field(default_factory=list)
    scores: list[dict[str, Any]] = field(default_factory=list)
    decisions: list[dict[str, Any]] = field(default_factory=list)

    def flush(self, conn: Connection) -> None:
        tables = ((CommentHistory, self.history), (CommentScore, self.scores), (PolicyDecision, self.decisions))
        for model, rows in tables:
            insert_rows(conn, model, rows)


@dataclass(frozen=True)
class _Change:
    """Where a pending comment goes, and why."""

    comment_id: str
    to_status: CommentStatus
    reason: str | None
    actor: str
    max_score: float | None

    @classmethod
    def of(cls, comment_id: str, decision: Decision, scores: dict[str, float]) -> _Change:
        reason = decision.reasons[0] if decision.reasons else None
        actor = f"system:policy@{decision.policy_version[:12]}"
        return cls(comment_id, OUTCOME[decision.action], reason, actor, max(scores.values(), default=0.0))


@dataclass
class Pipeline:
    engine: Engine
    policies: PolicyStore
    scorer: Callable[[], Scorer]  # loads the model on first use, once per process
    settings: PipelineSettings
    batch_size: int = 32
    _slugs: dict[int, str] = field(default_factory=dict, init=False)

    def moderate(self, comment_ids: str | Sequence[str]) -> BatchResult:
        """Decide the given comments and, when others wait, a batch of them alongside; decided ones are skipped.

        The API hands over the ids it gathered in one message, so a burst costs a task per batch, not
        per comment; each round scores at most `batch_size` comments together.
        """
        wanted = [comment_ids] if isinstance(comment_ids, str) else list(dict.fromkeys(comment_ids))
        result = BatchResult()
        for start in range(0, len(wanted), self.batch_size):
            self._moderate_round(wanted[start : start + self.batch_size], result)
        return result

    def _moderate_round(self, wanted: Sequence[str], result: BatchResult) -> None:
        now = datetime.now(UTC)
        with self.engine.begin() as conn:
            claimed = self._claim(conn, wanted, now)
            missing = set(wanted) - {row.id for row in claimed}
            if missing:  # decided meanwhile, or being scored by another worker?
                pending = select(Comment.id).where(Comment.id.in_(missing), Comment.status == CommentStatus.PENDING)
                if conn.execute(pending.limit(1)).first() is not None:
                    result.leased_elsewhere = True
        exhausted = [row for row in claimed if row.attempts > self.settings.max_attempts]
        to_score = [row for row in claimed if row.attempts <= self.settings.max_attempts]
        if exhausted:
            self._hold_unscored(exhausted, result)
        if to_score:
            self._score_and_decide(to_score, result)

    def _claim(self, conn: Connection, wanted: Sequence[str], now: datetime) -> Sequence[Any]:
        """Lease, in one statement, the asked-for comments still pending and free, then the oldest other
        waiting ones up to a batch: a task whose comments an earlier batch took still does a batch's work."""
        claimable = and_(
            Comment.status == CommentStatus.PENDING,
            or_(Comment.claimed_until.is_(None), Comment.claimed_until < now),
        )
        waiting = select(Comment.id, literal(0).label("priority")).where(Comment.id.in_(wanted), claimable)
        oldest = (
            select(Comment.id, literal(1).label("priority"))
            .where(claimable, Comment.id.not_in(wanted))
            .order_by(Comment.id)
            .limit(self.batch_size)
        )
        candidates = union_all(waiting, oldest.subquery().select()).subquery()
        batch = select(candidates.c.id).order_by(candidates.c.priority, candidates.c.id).limit(self.batch_size)
        lease = now + timedelta(seconds=self.settings.lease_seconds)
        claimed = conn.execute(
            update(Comment)
            # The status and lease are checked again on the row itself: another worker may have taken it.
            .where(Comment.id.in_(batch.scalar_subquery()), claimable)
            .values(claimed_until=lease, attempts=Comment.attempts + 1)
            .returning(
                Comment.id,
                Comment.site_id,
                Comment.article_id,
                Comment.author_id,
                Comment.body,
                Comment.attempts,
                Comment.created_at,
            )
        ).all()
        return sorted(claimed, key=lambda row: row.id)

    def _score_and_decide(self, rows: Sequence[Any], result: BatchResult) -> None:
        try:
            scorer = self.scorer()  # a model that cannot load is a scoring failure like any other
            scores = scorer.score([row.body for row in rows])
        except Exception as exc:
            if len(rows) == 1:
                self._release(rows)
                raise ScoringFailed(f"scoring failed: {type(exc).__name__}") from exc
            # One bad text must not fail its whole batch: score each alone to find it.
            log.warning("pipeline.batch_scoring_failed", size=len(rows), error_type=type(exc).__name__)
            self._score_one_by_one(rows, result)
            return
        self._decide(rows, scores, scorer.info, result)

    def _score_one_by_one(self, rows: Sequence[Any], result: BatchResult) -> None:
        failures: list[ScoringFailed] = []
        for row in rows:
            try:
                self._score_and_decide([row], result)
            except ScoringFailed as single:
                failures.append(single)
        if failures:
            raise failures[0]

    def _decide(self, rows: Sequence[Any], scores: Sequence[dict[str, float]], model: Any, result: BatchResult) -> None:
        now = datetime.now(UTC)
        writes = _Writes()
        with self.engine.begin() as conn:
            slugs = self._site_slugs(conn, {row.site_id for row in rows})
            policies = {row.id: self.policies.for_site(slugs[row.site_id]) for row in rows}
            windows = {row.id: policies[row.id].limits.rejection_rate_window_days for row in rows}
            facts = batch_facts(conn, rows, windows, now)
            decisions = {
                row.id: evaluate(policies[row.id], facts[row.id], s) for row, s in zip(rows, scores, strict=True)
            }
            changes = [_Change.of(row.id, decisions[row.id], s) for row, s in zip(rows, scores, strict=True)]
            decided = self._apply(conn, changes, now, result, writes)
            for row, comment_scores in zip(rows, scores, strict=True):
                if row.id in decided:  # the others were decided meanwhile by a worker whose lease ran out under us
                    self._record(row, decisions[row.id], policies[row.id].name, comment_scores, model, now, writes)
            writes.flush(conn)

    def _site_slugs(self, conn: Connection, site_ids: set[int]) -> dict[int, str]:
        """Site slugs pick the policy file; a slug never changes, so each is read once per process."""
        unknown = site_ids - self._slugs.keys()
        if unknown:
            rows = conn.execute(select(Site.id, Site.slug).where(Site.id.in_(unknown))).all()
            self._slugs.update((row.id, row.slug) for row in rows)
        return self._slugs

    def _record(
        self,
        row: Any,
        decision: Decision,
        policy_name: str,
        scores: dict[str, float],
        model: Any,
        now: datetime,
        writes: _Writes,
    ) -> None:
        comment_id = row.id
        writes.scores += [
            {
                "comment_id": comment_id,
                "category": category,
                "score": value,
                "model_name": model.name,
                "model_version": model.version,
            }
            for category, value in scores.items()
        ]
        writes.decisions.append(
            {
                "comment_id": comment_id,
                "action": decision.action,
                "reasons": list(decision.reasons),
                "matched": [rule.to_dict() for rule in decision.matched],
                "policy_name": policy_name,
                "policy_version": decision.policy_version,
                "model_name": model.name,
                "model_version": model.version,
                "created_at": now,
            }
        )
        # Rule names and spans only: the matched words would be comment text. waited_ms, from the post to
        # this decision, is what a reader waits: the figure to alert on (docs/benchmarks.md).
        log.info(
            "comment.decided",
            comment_id=comment_id,
            status=OUTCOME[decision.action].value,
            waited_ms=round((now - row.created_at).total_seconds() * 1000),
            reasons=list(decision.reasons),
            rules=[rule.name for rule in decision.matched],
            policy_version=decision.policy_version[:12],
        )

    def _apply(
        self, conn: Connection, changes: Sequence[_Change], now: datetime, result: BatchResult, writes: _Writes
    ) -> set[str]:
        """Move the comments still pending to their new states in one statement; returns the ids it moved.

        Each comment gets its own status, reason and score through CASE on its id, and the status check
        in the WHERE clause keeps a comment that another worker decided meanwhile as that worker left it.
        """
        by_id = {change.comment_id: change for change in changes}

        def per_comment(column: Any, values: dict[str, Any]) -> Any:
            return cast(case(values, value=Comment.id), column.type)

        moved = set(
            conn.execute(
                update(Comment)
                .where(Comment.id.in_(by_id), Comment.status == CommentStatus.PENDING)
                .values(
                    status=per_comment(Comment.status, {i: c.to_status.value for i, c in by_id.items()}),
                    status_reason=per_comment(Comment.status_reason, {i: c.reason for i, c in by_id.items()}),
                    max_score=per_comment(Comment.max_score, {i: c.max_score for i, c in by_id.items()}),
                    claimed_until=None,
                    updated_at=now,
                )
                .returning(Comment.id)
            ).scalars()
        )
        applied = [change for change in changes if change.comment_id in moved]
        events = [
            StatusChange(c.comment_id, CommentStatus.PENDING.value, c.to_status.value, c.reason, c.actor, now)
            for c in applied
        ]
        writes.history += [
            {
                "comment_id": event.comment_id,
                "actor": event.actor,
                "from_status": event.from_status,
                "to_status": event.to_status,
                "reason": event.reason,
                "note": None,
                "created_at": now,
            }
            for event in events
        ]
        result.webhook_deliveries += record_status_changes(conn, events)
        result.decided.update({c.comment_id: c.to_status.value for c in applied})
        return moved

    def _hold_unscored(self, rows: Sequence[Any], result: BatchResult) -> None:
        """Out of attempts: a person decides, never the absence of a score."""
        now = datetime.now(UTC)
        writes = _Writes()
        changes = [_Change(row.id, CommentStatus.HELD, CLASSIFICATION_FAILED, "system:pipeline", None) for row in rows]
        with self.engine.begin() as conn:
            held = self._apply(conn, changes, now, result, writes)
            writes.flush(conn)
        for row in rows:
            if row.id in held:
                log.warning("comment.held_unscored", comment_id=row.id, attempts=row.attempts - 1)

    def _release(self, rows: Sequence[Any]) -> None:
        """Free the lease after a failure so the retry need not wait for it to lapse."""
        with self.engine.begin() as conn:
            conn.execute(update(Comment).where(Comment.id.in_([r.id for r in rows])).values(claimed_until=None))

    def stale_pending(self, limit: int = 500) -> list[str]:
        """Comments pending too long with no live lease: their task was lost (broker down, crash)."""
        now = datetime.now(UTC)
        cutoff = now - timedelta(seconds=self.settings.stale_pending_seconds)
        with self.engine.connect() as conn:
            return list(
                conn.execute(
                    select(Comment.id)
                    .where(
                        Comment.status == CommentStatus.PENDING,
                        Comment.updated_at < cutoff,
                        or_(Comment.claimed_until.is_(None), Comment.claimed_until < now),
                    )
                    .order_by(Comment.id)
                    .limit(limit)
                ).scalars()
            )
