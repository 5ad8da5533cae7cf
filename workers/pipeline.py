"""Moderation of pending comments: claim a batch, score it, apply each site's policy, record the outcome.

Plain functions over a sync engine, with no Celery types, so they are tested directly and the task
that calls them stays an adapter of a few lines.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol, cast

import structlog
from sqlalchemy import Connection, Engine, Table, insert, or_, select, update

from policies import Decision, PolicyStore, evaluate
from service.db.models import (
    Comment,
    CommentHistory,
    CommentScore,
    CommentStatus,
    PolicyDecision,
    Site,
)
from service.settings import PipelineSettings
from service.webhooks import record_status_change
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
            if rows:
                conn.execute(insert(cast(Table, model.__table__)), rows)


@dataclass
class Pipeline:
    engine: Engine
    policies: PolicyStore
    scorer: Callable[[], Scorer]  # loads the model on first use, once per process
    settings: PipelineSettings
    batch_size: int = 32

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
            pending = list(
                conn.execute(
                    select(Comment.id).where(Comment.id.in_(wanted), Comment.status == CommentStatus.PENDING)
                ).scalars()
            )
            if not pending:
                return
            claimed = self._claim(conn, pending, now)
        if not set(pending) <= {row.id for row in claimed}:
            result.leased_elsewhere = True  # another worker is scoring some of them
        exhausted = [row for row in claimed if row.attempts > self.settings.max_attempts]
        to_score = [row for row in claimed if row.attempts <= self.settings.max_attempts]
        if exhausted:
            self._hold_unscored(exhausted, result)
        if to_score:
            self._score_and_decide(to_score, result)

    def _claim(self, conn: Connection, wanted: Sequence[str], now: datetime) -> Sequence[Any]:
        """Lease the asked-for comments and other waiting ones up to a batch, oldest first."""
        free = or_(Comment.claimed_until.is_(None), Comment.claimed_until < now)
        others = (
            select(Comment.id)
            .where(Comment.status == CommentStatus.PENDING, free, Comment.id.not_in(wanted))
            .order_by(Comment.id)
            .limit(max(0, self.batch_size - len(wanted)))
        )
        ids = [*wanted, *conn.execute(others).scalars()]
        lease = now + timedelta(seconds=self.settings.lease_seconds)
        claimed = conn.execute(
            update(Comment)
            .where(Comment.id.in_(ids), Comment.status == CommentStatus.PENDING, free)
            .values(claimed_until=lease, attempts=Comment.attempts + 1)
            .returning(
                Comment.id, Comment.site_id, Comment.article_id, Comment.author_id, Comment.body, Comment.attempts
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
            sites = conn.execute(
                select(Site.id, Site.slug, Site.webhook_url).where(Site.id.in_({r.site_id for r in rows}))
            ).all()
            slugs = {site.id: site.slug for site in sites}
            # Sites without a webhook skip the per-comment event lookup altogether.
            hooked = {site.id for site in sites if site.webhook_url}
            policies = {row.id: self.policies.for_site(slugs[row.site_id]) for row in rows}
            windows = {row.id: policies[row.id].limits.rejection_rate_window_days for row in rows}
            facts = batch_facts(conn, rows, windows, now)
            for row, comment_scores in zip(rows, scores, strict=True):
                policy = policies[row.id]
                decision = evaluate(policy, facts[row.id], comment_scores)
                notify = row.site_id in hooked
                self._record(conn, row, decision, policy.name, comment_scores, model, now, result, writes, notify)
            writes.flush(conn)

    def _record(
        self,
        conn: Connection,
        row: Any,
        decision: Decision,
        policy_name: str,
        scores: dict[str, float],
        model: Any,
        now: datetime,
        result: BatchResult,
        writes: _Writes,
        notify: bool,
    ) -> None:
        to_status = OUTCOME[decision.action]
        reason = decision.reasons[0] if decision.reasons else None
        actor = f"system:policy@{decision.policy_version[:12]}"
        max_score = max(scores.values(), default=0.0)
        if not self._transition(conn, row.id, to_status, reason, actor, now, result, writes, max_score, notify):
            return  # decided meanwhile by another worker whose lease ran out under us
        writes.scores += [
            {
                "comment_id": row.id,
                "category": category,
                "score": value,
                "model_name": model.name,
                "model_version": model.version,
            }
            for category, value in scores.items()
        ]
        writes.decisions.append(
            {
                "comment_id": row.id,
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
        # Rule names and spans only: the matched words would be comment text.
        log.info(
            "comment.decided",
            comment_id=row.id,
            status=to_status.value,
            reasons=list(decision.reasons),
            rules=[rule.name for rule in decision.matched],
            policy_version=decision.policy_version[:12],
        )

    def _transition(
        self,
        conn: Connection,
        comment_id: str,
        to_status: CommentStatus,
        reason: str | None,
        actor: str,
        now: datetime,
        result: BatchResult,
        writes: _Writes,
        max_score: float | None = None,
        notify: bool = True,
    ) -> bool:
        updated = conn.execute(
            update(Comment)
            .where(Comment.id == comment_id, Comment.status == CommentStatus.PENDING)
            .values(status=to_status, status_reason=reason, claimed_until=None, updated_at=now, max_score=max_score)
        )
        if updated.rowcount != 1:
            return False
        writes.history.append(
            {
                "comment_id": comment_id,
                "actor": actor,
                "from_status": CommentStatus.PENDING.value,
                "to_status": to_status.value,
                "reason": reason,
                "note": None,
                "created_at": now,
            }
        )
        delivery = (
            record_status_change(conn, comment_id, CommentStatus.PENDING, to_status, reason, actor, now)
            if notify
            else None
        )
        result.decided[comment_id] = to_status.value
        if delivery is not None:
            result.webhook_deliveries.append(delivery)
        return True

    def _hold_unscored(self, rows: Sequence[Any], result: BatchResult) -> None:
        """Out of attempts: a person decides, never the absence of a score."""
        now = datetime.now(UTC)
        writes = _Writes()
        with self.engine.begin() as conn:
            for row in rows:
                held = self._transition(
                    conn, row.id, CommentStatus.HELD, CLASSIFICATION_FAILED, "system:pipeline", now, result, writes
                )
                if held:
                    log.warning("comment.held_unscored", comment_id=row.id, attempts=row.attempts - 1)
            writes.flush(conn)

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
