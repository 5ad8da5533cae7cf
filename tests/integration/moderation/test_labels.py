"""Moderator decisions exported as labels that the policy replay reads to report precision."""

from __future__ import annotations

import pytest

from policies import DETOXIFY_CATEGORIES, PolicyStore
from policies.replay import read_labelled, replay, score_all
from service.db.engine import sync_session_factory
from service.moderation.labels import labelled_rows, write_labels
from tests.conftest import auth
from tests.integration.moderation.helpers import hold, post_comment

pytestmark = pytest.mark.usefixtures("settings")


async def test_exported_labels_let_the_replay_measure_precision(
    client, site, moderator, sync_engine, policy_dir, tmp_path
):
    mine = site()
    token = moderator(mine)
    decided = []
    for action in ("reject", "approve", "reject"):
        comment_id = await post_comment(client, mine)
        hold(sync_engine, comment_id, scores={"toxicity": 0.9})
        body = {"action": action, "reason_code": "toxicity"}
        response = await client.post(f"/v1/moderation/comments/{comment_id}/decision", json=body, headers=auth(token))
        assert response.status_code == 200
        decided.append(comment_id)
    undecided = await post_comment(client, mine)
    hold(sync_engine, undecided)
    path = tmp_path / "labels.csv"
    with sync_session_factory(sync_engine)() as session, path.open("w", newline="") as out:
        assert write_labels(labelled_rows(session, mine.slug), out) == 3
    comments = read_labelled(path, DETOXIFY_CATEGORIES)
    assert [c.label for c in comments] == [True, False, True]
    report = replay(PolicyStore(policy_dir).for_site(mine.slug), comments, score_all(comments, lambda _: []))
    assert (report.overall.flagged, report.overall.true_positives) == (3, 2)
    assert report.overall.precision == pytest.approx(2 / 3)
    assert undecided not in path.read_text()
