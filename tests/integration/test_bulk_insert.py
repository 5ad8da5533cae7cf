"""insert_rows on both databases: every column type the workers write comes back as it went in."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select

from service.db.bulk import insert_rows
from service.db.models import CommentHistory, PolicyDecision
from tests.conftest import auth


async def test_rows_round_trip_with_json_nulls_and_timestamps(client, make_site, sync_engine):
    key = make_site()
    ids = []
    for n in range(3):
        payload = {"article_id": "a-1", "author": {"id": f"r-{n}", "name": "R"}, "body": f"Comment {n}."}
        response = await client.post("/v1/comments", json=payload, headers=auth(key))
        ids.append(response.json()["id"])
    at = datetime(2026, 11, 28, 12, 30, 15, 123456, tzinfo=UTC)
    decisions = [
        {
            "comment_id": comment_id,
            "action": "hold",
            "reasons": ["toxicity", f"rule-{n}"],
            "matched": [{"name": "toxic", "spans": [[0, n]], "note": 'it\'s "quoted"'}],
            "policy_name": "default",
            "policy_version": "f" * 64,
            "model_name": None if n == 1 else "bundled",
            "model_version": "0" * 64,
            "created_at": at,
        }
        for n, comment_id in enumerate(ids)
    ]
    history = [
        {
            "comment_id": i,
            "actor": "system",
            "from_status": "pending",
            "to_status": "held",
            "reason": None,
            "note": None,
        }
        | {"created_at": at}
        for i in ids
    ]
    with sync_engine.begin() as conn:
        insert_rows(conn, PolicyDecision, decisions)
        insert_rows(conn, CommentHistory, history)
        insert_rows(conn, CommentHistory, [])
    with sync_engine.connect() as conn:
        stored = conn.execute(select(PolicyDecision.__table__).order_by(PolicyDecision.comment_id)).mappings().all()
        moved = conn.execute(select(CommentHistory.comment_id).where(CommentHistory.to_status == "held")).scalars()
        assert sorted(moved) == sorted(ids)
    expected = sorted(decisions, key=lambda row: row["comment_id"])
    assert [{name: row[name] for name in decisions[0]} for row in stored] == expected
