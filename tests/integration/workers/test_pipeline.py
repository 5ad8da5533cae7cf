"""The pipeline's functions on a real database, with a scripted scorer standing in for the model."""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import structlog.testing
from sqlalchemy import Engine, select, update

from policies import PolicyStore
from service.db.engine import sync_session_factory
from service.db.models import Comment, CommentHistory, CommentScore, PolicyDecision, WebhookDelivery
from service.settings import PipelineSettings, Settings
from service.sites.services import configure_webhook
from tests.conftest import auth
from workers.pipeline import CLASSIFICATION_FAILED, Pipeline, ScoringFailed

CATEGORIES = ("toxicity", "severe_toxicity", "obscene", "threat", "insult", "identity_attack")
_authors = itertools.count()


@dataclass(frozen=True)
class Info:
    name: str = "scripted"
    version: str = "0" * 64
    classes: tuple[str, ...] = CATEGORIES


class ScriptedScorer:
    """Scores by marker words, so each test states its outcome; records every call to check batching."""

    info = Info()

    def __init__(self, fail_on: str | None = None) -> None:
        self.calls: list[list[str]] = []
        self.fail_on = fail_on

    def score(self, texts: Sequence[str]) -> list[dict[str, float]]:
        self.calls.append(list(texts))
        if self.fail_on is not None and any(self.fail_on in text for text in texts):
            raise RuntimeError("model failure")
        scores = []
        for text in texts:
            row = dict.fromkeys(CATEGORIES, 0.01)
            if "TOXIC" in text:
                row["toxicity"] = 0.9
            if "SEVERE" in text:
                row["severe_toxicity"] = 0.95
            scores.append(row)
        return scores


def make_pipeline(
    settings: Settings, engine: Engine, scorer: ScriptedScorer, policy_dir: Path, **overrides
) -> Pipeline:  # type: ignore[no-untyped-def]
    return Pipeline(
        engine=engine,
        policies=PolicyStore(policy_dir),
        scorer=lambda: scorer,
        settings=replace(PipelineSettings(), **overrides),
        batch_size=8,
    )


async def post(client, key: str, body: str, **extra) -> str:  # type: ignore[no-untyped-def]
    payload = {"article_id": "a-1", "author": {"id": f"r-{next(_authors)}", "name": "R"}, "body": body, **extra}
    response = await client.post("/v1/comments", json=payload, headers=auth(key))
    assert response.status_code == 202, response.text
    return str(response.json()["id"])


def status_of(engine: Engine, comment_id: str) -> tuple[str, str | None]:
    with engine.connect() as conn:
        row = conn.execute(select(Comment.status, Comment.status_reason).where(Comment.id == comment_id)).one()
    return str(row.status), row.status_reason


@pytest.mark.parametrize(
    ("body", "status", "reason"),
    [
        ("A fair point about the budget.", "published", None),
        ("You are TOXIC and wrong.", "held", "toxicity"),
        ("SEVERE abuse here.", "rejected", "severe_toxicity"),
    ],
)
async def test_decides_by_policy_and_records_why(
    client, make_site, settings, sync_engine, policy_dir, body, status, reason
):
    key = make_site()
    comment_id = await post(client, key, body)
    pipeline = make_pipeline(settings, sync_engine, ScriptedScorer(), policy_dir)
    result = pipeline.moderate(comment_id)
    assert result.decided == {comment_id: status}
    assert status_of(sync_engine, comment_id) == (status, reason)
    with sync_engine.connect() as conn:
        decision = conn.execute(select(PolicyDecision).where(PolicyDecision.comment_id == comment_id)).one()
        scores = dict(conn.execute(select(CommentScore.category, CommentScore.score)).all())
        history = conn.execute(select(CommentHistory.actor, CommentHistory.to_status).order_by(CommentHistory.id)).all()
    assert decision.model_name == "scripted"
    assert len(decision.policy_version) == 64
    assert set(scores) == set(CATEGORIES)
    assert history[-1].to_status == status
    assert history[-1].actor.startswith("system:policy@")
    if reason:
        assert reason in decision.reasons


async def test_the_decision_log_says_how_long_the_comment_waited_and_not_what_it_said(
    client, make_site, settings, sync_engine, policy_dir
):
    key = make_site()
    comment_id = await post(client, key, "You are TOXIC and wrong.")
    posted_at = datetime.now(UTC)
    with sync_engine.begin() as conn:  # as if it had waited two seconds for a worker
        conn.execute(
            update(Comment).where(Comment.id == comment_id).values(created_at=posted_at - timedelta(seconds=2))
        )
    with structlog.testing.capture_logs() as logs:
        make_pipeline(settings, sync_engine, ScriptedScorer(), policy_dir).moderate(comment_id)
    decided = next(entry for entry in logs if entry["event"] == "comment.decided")
    assert decided["comment_id"] == comment_id
    assert 2000 <= decided["waited_ms"] < 2000 + (datetime.now(UTC) - posted_at).total_seconds() * 1000 + 1
    assert "TOXIC" not in repr(logs)


async def test_waiting_comments_are_scored_in_one_batch(client, make_site, settings, sync_engine, policy_dir):
    key = make_site()
    ids = [await post(client, key, f"Comment number {n}.") for n in range(5)]
    scorer = ScriptedScorer()
    result = make_pipeline(settings, sync_engine, scorer, policy_dir).moderate(ids[2])
    assert len(scorer.calls) == 1
    assert len(scorer.calls[0]) == 5
    assert set(result.decided) == set(ids)


async def test_a_decided_comment_is_left_alone(client, make_site, settings, sync_engine, policy_dir):
    key = make_site()
    comment_id = await post(client, key, "Fine words.")
    scorer = ScriptedScorer()
    pipeline = make_pipeline(settings, sync_engine, scorer, policy_dir)
    pipeline.moderate(comment_id)
    again = pipeline.moderate(comment_id)
    assert again.decided == {}
    assert len(scorer.calls) == 1


async def test_a_task_whose_comments_were_taken_still_decides_a_waiting_batch(
    client, make_site, settings, sync_engine, policy_dir
):
    """A deep queue's later messages name comments an earlier batch took: they must not end as no-ops."""
    key = make_site()
    first = await post(client, key, "The first comment.")
    scorer = ScriptedScorer()
    pipeline = make_pipeline(settings, sync_engine, scorer, policy_dir)
    pipeline.moderate(first)
    waiting = [await post(client, key, f"Waiting comment {n}.") for n in range(3)]
    result = pipeline.moderate(first)
    assert set(result.decided) == set(waiting)
    assert len(scorer.calls) == 2
    assert not result.leased_elsewhere


async def test_a_comment_leased_by_another_worker_is_not_scored_twice(
    client, make_site, settings, sync_engine, policy_dir
):
    key = make_site()
    comment_id = await post(client, key, "Fine words.")
    with sync_engine.begin() as conn:
        conn.execute(update(Comment).values(claimed_until=datetime.now(UTC) + timedelta(minutes=1)))
    scorer = ScriptedScorer()
    result = make_pipeline(settings, sync_engine, scorer, policy_dir).moderate(comment_id)
    assert result.leased_elsewhere
    assert scorer.calls == []


async def test_scoring_failure_retries_then_holds_for_a_person(client, make_site, settings, sync_engine, policy_dir):
    key = make_site()
    comment_id = await post(client, key, "This one BREAKS the model.")
    pipeline = make_pipeline(settings, sync_engine, ScriptedScorer(fail_on="BREAKS"), policy_dir, max_attempts=2)
    for _ in range(2):
        with pytest.raises(ScoringFailed):
            pipeline.moderate(comment_id)
        assert status_of(sync_engine, comment_id) == ("pending", None)
    result = pipeline.moderate(comment_id)
    assert result.decided == {comment_id: "held"}
    assert status_of(sync_engine, comment_id) == ("held", CLASSIFICATION_FAILED)


async def test_one_bad_text_does_not_fail_its_batch(client, make_site, settings, sync_engine, policy_dir):
    key = make_site()
    good = await post(client, key, "A good comment.")
    bad = await post(client, key, "This one BREAKS the model.")
    pipeline = make_pipeline(settings, sync_engine, ScriptedScorer(fail_on="BREAKS"), policy_dir)
    with pytest.raises(ScoringFailed):
        pipeline.moderate(good)
    assert status_of(sync_engine, good) == ("published", None)
    assert status_of(sync_engine, bad) == ("pending", None)


async def test_premoderated_article_holds_even_clean_comments(client, make_site, settings, sync_engine, policy_dir):
    key = make_site()
    await client.put("/v1/articles/a-1", json={"premoderated": True}, headers=auth(key))
    comment_id = await post(client, key, "Perfectly polite.")
    make_pipeline(settings, sync_engine, ScriptedScorer(), policy_dir).moderate(comment_id)
    assert status_of(sync_engine, comment_id) == ("held", "premoderated")


async def test_stale_pending_lists_only_unleased_old_comments(client, make_site, settings, sync_engine, policy_dir):
    key = make_site()
    old, fresh = await post(client, key, "Old one."), await post(client, key, "Fresh one.")
    with sync_engine.begin() as conn:
        past = datetime.now(UTC) - timedelta(minutes=10)
        conn.execute(update(Comment).where(Comment.id == old).values(updated_at=past))
    pipeline = make_pipeline(settings, sync_engine, ScriptedScorer(), policy_dir, stale_pending_seconds=60)
    assert pipeline.stale_pending() == [old]
    assert fresh not in pipeline.stale_pending()


async def test_decision_records_a_webhook_event_for_sites_that_have_one(
    client, make_site, settings, sync_engine, policy_dir
):
    key = make_site("hooked")
    with sync_session_factory(sync_engine).begin() as session:
        configure_webhook(session, "hooked", "http://127.0.0.1:9/hook", "s3cret")
    comment_id = await post(client, key, "Fine words.")
    result = make_pipeline(settings, sync_engine, ScriptedScorer(), policy_dir).moderate(comment_id)
    with sync_engine.connect() as conn:
        delivery = conn.execute(select(WebhookDelivery.__table__)).one()
    assert result.webhook_deliveries == [delivery.id]
    assert delivery.payload["comment_id"] == comment_id
    assert (delivery.payload["from"], delivery.payload["to"]) == ("pending", "published")
    assert delivery.state == "pending"


async def test_a_model_that_cannot_load_counts_as_a_failed_attempt(
    client, make_site, settings, sync_engine, policy_dir
):
    key = make_site()
    comment_id = await post(client, key, "Fine words.")

    def broken_model() -> ScriptedScorer:
        raise OSError("checkpoint unreadable")

    pipeline = make_pipeline(settings, sync_engine, ScriptedScorer(), policy_dir, max_attempts=1)
    pipeline.scorer = broken_model
    with pytest.raises(ScoringFailed):
        pipeline.moderate(comment_id)
    pipeline.moderate(comment_id)
    assert status_of(sync_engine, comment_id) == ("held", CLASSIFICATION_FAILED)


async def test_several_ids_in_one_task_are_decided_in_rounds_of_a_batch(
    client, make_site, settings, sync_engine, policy_dir
):
    key = make_site()
    ids = [await post(client, key, f"Comment number {n}.") for n in range(10)]
    scorer = ScriptedScorer()
    pipeline = make_pipeline(settings, sync_engine, scorer, policy_dir)
    pipeline.batch_size = 4
    result = pipeline.moderate(ids)
    assert set(result.decided) == set(ids)
    assert [len(call) for call in scorer.calls] == [4, 4, 2]
    assert pipeline.moderate(ids).decided == {}


async def test_one_batch_gives_each_comment_its_own_outcome(client, make_site, settings, sync_engine, policy_dir):
    key = make_site()
    bodies = {"published": "A fair point.", "held": "You are TOXIC.", "rejected": "SEVERE abuse."}
    ids = {status: await post(client, key, body) for status, body in bodies.items()}
    scorer = ScriptedScorer()
    make_pipeline(settings, sync_engine, scorer, policy_dir).moderate(list(ids.values()))
    assert len(scorer.calls) == 1
    with sync_engine.connect() as conn:
        rows = conn.execute(select(Comment.id, Comment.status, Comment.status_reason, Comment.max_score)).all()
    stored = {row.id: (str(row.status), row.status_reason, row.max_score) for row in rows}
    assert stored == {
        ids["published"]: ("published", None, pytest.approx(0.01)),
        ids["held"]: ("held", "toxicity", pytest.approx(0.9)),
        ids["rejected"]: ("rejected", "severe_toxicity", pytest.approx(0.95)),
    }


async def test_a_comment_decided_during_scoring_keeps_that_decision(
    client, make_site, settings, sync_engine, policy_dir
):
    key = make_site()
    raced, other = await post(client, key, "First words."), await post(client, key, "Second words.")

    class RacedScorer(ScriptedScorer):
        """A moderator rejects one comment while the model is still scoring the batch."""

        def score(self, texts: Sequence[str]) -> list[dict[str, float]]:
            with sync_engine.begin() as conn:
                conn.execute(update(Comment).where(Comment.id == raced).values(status="rejected"))
            return super().score(texts)

    result = make_pipeline(settings, sync_engine, RacedScorer(), policy_dir).moderate([raced, other])
    assert result.decided == {other: "published"}
    assert status_of(sync_engine, raced) == ("rejected", None)
    with sync_engine.connect() as conn:
        decided = set(conn.execute(select(PolicyDecision.comment_id)).scalars())
        scored = set(conn.execute(select(CommentScore.comment_id)).scalars())
        moved = set(
            conn.execute(select(CommentHistory.comment_id).where(CommentHistory.from_status == "pending")).scalars()
        )
    assert decided == scored == {other}
    assert moved == {other}


async def test_a_batch_across_sites_records_events_only_for_hooked_ones(
    client, make_site, settings, sync_engine, policy_dir
):
    hooked_key, plain_key = make_site("hooked"), make_site("plain")
    with sync_session_factory(sync_engine).begin() as session:
        configure_webhook(session, "hooked", "http://127.0.0.1:9/hook", "s3cret")
    hooked = [await post(client, hooked_key, f"Hooked comment {n}.") for n in range(3)]
    plain = [await post(client, plain_key, f"Plain comment {n}.") for n in range(3)]
    result = make_pipeline(settings, sync_engine, ScriptedScorer(), policy_dir).moderate(hooked + plain)
    assert set(result.decided) == set(hooked + plain)
    with sync_engine.connect() as conn:
        deliveries = conn.execute(select(WebhookDelivery.id, WebhookDelivery.comment_id)).all()
    assert sorted(result.webhook_deliveries) == sorted(row.id for row in deliveries)
    assert sorted(row.comment_id for row in deliveries) == sorted(hooked)
