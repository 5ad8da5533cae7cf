"""A catastrophic regex cannot stall evaluation: it is cut off at its time limit and the comment is held."""

from __future__ import annotations

import time
from pathlib import Path

from policies import CommentFacts, evaluate, load_policy


def test_catastrophic_regex_is_bounded_and_holds(tmp_path: Path) -> None:
    path = tmp_path / "slow.yaml"
    path.write_text(
        "regex_timeout_ms: 100\nrules:\n  - {name: evil, reason: evil, action: reject, when: {regex: '(a|aa)+$'}}\n"
    )
    policy = load_policy(path)
    started = time.monotonic()
    decision = evaluate(policy, CommentFacts("a" * 60 + "!"), {})
    assert time.monotonic() - started < 2.0
    assert decision.action == "hold"
    assert decision.reasons == ("rule_timeout",)
    assert [rule.name for rule in decision.matched] == ["evil"]


def test_fast_regex_is_not_affected_by_the_limit(tmp_path: Path) -> None:
    path = tmp_path / "fast.yaml"
    path.write_text("regex_timeout_ms: 100\nrules:\n  - {name: ok, reason: ok, action: reject, when: {regex: 'a+!'}}\n")
    assert evaluate(load_policy(path), CommentFacts("a" * 60 + "!"), {}).action == "reject"
