"""The rule engine, table-driven: one row per construct of the rule language and per precedence rule."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import pytest

from policies import ArticleFacts, AuthorFacts, CommentFacts, Policy, evaluate, load_policy

POLICY = """
word_lists:
  hard: {kind: banned, words: [idiot]}
  soft: {kind: suspect, words: [moron]}
  prefixes: {kind: suspect, mode: prefix, words: [spamword]}
rules:
  - {name: blocked, reason: author_blocked, action: reject, when: {author_status: [banned]}, stop: true}
  - {name: severe, reason: severe_toxicity, action: reject, when: {score: "severe_toxicity >= 0.9"}}
  - {name: toxic, reason: toxicity, action: hold, skippable: true, when: {score: "toxicity >= 0.7"}}
  - {name: calm_publish, reason: calm, action: publish, when: {score: "toxicity < 0.01"}}
  - {name: banned_word, reason: banned_word, action: reject, when: {words_of_kind: banned}}
  - {name: suspect_word, reason: suspect_word, action: hold, skippable: true, when: {words: soft}}
  - {name: prefixed, reason: spam, action: hold, when: {words: [prefixes]}}
  - {name: pattern, reason: pattern, action: hold, when: {regex: "(?i)buy\\\\s+now"}}
  - {name: many_links, reason: links, action: hold, when: {links: ">= 2"}}
  - {name: bad_domain, reason: bad_domain, action: reject, when: {link_domains: {deny: [evil.test]}}}
  - {name: off_site, reason: off_site, action: hold, when: {link_domains: {allow: [example.com]}}}
  - {name: shouting, reason: shouting, action: hold, when: {caps_ratio: ">= 0.8"}}
  - {name: repeats, reason: repeats, action: hold, when: {repeated_chars: ">= 6"}}
  - {name: foreign, reason: language, action: hold, when: {language: [fr]}}
  - {name: long, reason: long, action: hold, when: {length: "> 50"}}
  - {name: young_account, reason: new_account, action: hold, when: {account_age_days: "< 1"}}
  - {name: veteran, reason: veteran, action: publish, when: {approved_count: ">= 100"}}
  - {name: often_rejected, reason: history, action: hold, when: {rejected_count: ">= 5"}}
  - {name: recent_rejections, reason: recent, action: hold, when: {recent_rejection_rate: "> 0.5"}}
  - {name: first, reason: first_comment, action: hold, when: {first_comment: true}}
  - {name: politics, reason: section, action: hold, when: {article_section: [Politics]}}
  - {name: old_article, reason: old_article, action: hold, when: {article_age_days: "> 30"}}
  - {name: marked_article, reason: marked, action: hold, when: {article_premoderated: true}}
  - name: combined
    reason: combined
    action: hold
    when:
      all:
        - any: [{score: "insult >= 0.5"}, {score: "obscene >= 0.5"}]
        - not: {author_status: [trusted]}
  - {name: stopper, reason: stopped, action: publish, stop: true, when: {regex: "^STOP"}}
  - {name: after_stop, reason: after_stop, action: reject, when: {regex: "STOP.*idiot"}}
"""

QUIET = {"toxicity": 0.1, "severe_toxicity": 0.0, "insult": 0.0, "obscene": 0.0}


@pytest.fixture(scope="module")
def policy(tmp_path_factory: pytest.TempPathFactory) -> Policy:
    path = tmp_path_factory.mktemp("engine") / "site.yaml"
    path.write_text(POLICY)
    return load_policy(path)


def decide(policy: Policy, text: str = "hello there", scores: Mapping[str, float] = QUIET, **facts: object):  # type: ignore[no-untyped-def]
    author = AuthorFacts(**facts.pop("author", {}))  # type: ignore[arg-type]
    article = ArticleFacts(**facts.pop("article", {}))  # type: ignore[arg-type]
    return evaluate(policy, CommentFacts(text, author, article, **facts), scores)  # type: ignore[arg-type]


CASES = [
    # (id, text, scores, facts, action, matched rule names)
    ("nothing matches", "hello there", QUIET, {}, "publish", []),
    ("score reject", "hello", {**QUIET, "severe_toxicity": 0.95}, {}, "reject", ["severe"]),
    ("score hold", "hello", {**QUIET, "toxicity": 0.8}, {}, "hold", ["toxic"]),
    ("score below threshold", "hello", {**QUIET, "toxicity": 0.69}, {}, "publish", []),
    ("missing score never matches", "hello", {}, {}, "publish", []),
    ("explicit publish rule", "hello", {**QUIET, "toxicity": 0.001}, {}, "publish", ["calm_publish"]),
    ("reject beats hold", "you idiot", {**QUIET, "toxicity": 0.8}, {}, "reject", ["toxic", "banned_word"]),
    ("banned word kind", "what an 1d10t", QUIET, {}, "reject", ["banned_word"]),
    ("suspect list by name", "moron", QUIET, {}, "hold", ["suspect_word"]),
    ("prefix list", "spamwordsss", QUIET, {}, "hold", ["prefixed"]),
    ("regex", "Buy   NOW", QUIET, {}, "hold", ["pattern"]),
    ("link count", "a https://example.com/1 b https://example.com/2", QUIET, {}, "hold", ["many_links"]),
    ("denied domain", "see https://www.sub.evil.test/x", QUIET, {}, "reject", ["bad_domain", "off_site"]),
    ("allowed domain", "see https://example.com/x", QUIET, {}, "publish", []),
    ("domain not on allow list", "see https://other.org/x", QUIET, {}, "hold", ["off_site"]),
    ("caps", "THIS IS ALL SHOUTING", QUIET, {}, "hold", ["shouting"]),
    ("short caps are not shouting", "OK NO", QUIET, {}, "publish", []),
    ("repeated characters", "nooooooo", QUIET, {}, "hold", ["repeats"]),
    ("language", "bonjour", QUIET, {"language": "fr"}, "hold", ["foreign"]),
    ("unknown language never matches", "bonjour", QUIET, {"language": None}, "publish", []),
    ("length in graphemes", "👍🏽" * 50, QUIET, {}, "publish", []),
    ("length over", "xy" * 26, QUIET, {}, "hold", ["long"]),
    ("account age", "hi", QUIET, {"author": {"account_age_days": 0.5}}, "hold", ["young_account"]),
    ("unknown account age", "hi", QUIET, {"author": {"account_age_days": None}}, "publish", []),
    ("approved count", "hi", QUIET, {"author": {"approved_count": 100}}, "publish", ["veteran"]),
    ("rejected count", "hi", QUIET, {"author": {"rejected_count": 5}}, "hold", ["often_rejected"]),
    ("rejection rate", "hi", QUIET, {"author": {"recent_rejection_rate": 0.6}}, "hold",
     ["recent_rejections"]),
    ("first comment", "hi", QUIET, {"author": {"is_first_comment": True}}, "hold", ["first"]),
    ("author status stops", "you idiot", QUIET, {"author": {"status": "banned"}}, "reject", ["blocked"]),
    ("section, case-insensitive", "hi", QUIET, {"article": {"section": "politics"}}, "hold", ["politics"]),
    ("article age", "hi", QUIET, {"article": {"age_days": 31.0}}, "hold", ["old_article"]),
    ("all/any/not", "hi", {**QUIET, "obscene": 0.6}, {}, "hold", ["combined"]),
    ("not excludes", "hi", {**QUIET, "obscene": 0.6}, {"author": {"status": "trusted"}}, "publish", []),
    ("trusted skips skippable", "moron", {**QUIET, "toxicity": 0.9}, {"author": {"status": "trusted"}},
     "publish", []),
    ("stop ends evaluation", "STOP idiot", QUIET, {}, "reject", ["banned_word", "stopper"]),
    ("premoderated author", "hi", QUIET, {"author": {"status": "premoderated"}}, "hold",
     ["premoderated_author"]),
    ("premoderated article", "hi", QUIET, {"article": {"premoderated": True}}, "hold",
     ["premoderated_article", "marked_article"]),
    ("trusted skips article premoderation", "hi", QUIET,
     {"author": {"status": "trusted"}, "article": {"premoderated": True}}, "hold", ["marked_article"]),
    ("premoderation does not lower a reject", "idiot", QUIET, {"author": {"status": "premoderated"}},
     "reject",
     ["premoderated_author", "banned_word"]),
]  # fmt: skip


@pytest.mark.parametrize(
    ("text", "scores", "facts", "action", "names"),
    [case[1:] for case in CASES],
    ids=[case[0] for case in CASES],
)
def test_rule_language(
    policy: Policy,
    text: str,
    scores: Mapping[str, float],
    facts: dict[str, object],
    action: str,
    names: list[str],
) -> None:
    decision = decide(policy, text, scores, **facts)
    assert decision.action == action
    assert [rule.name for rule in decision.matched] == names


def test_reasons_are_those_of_the_winning_action(policy: Policy) -> None:
    decision = decide(policy, "you idiot", {**QUIET, "toxicity": 0.8})
    assert decision.reasons == ("banned_word",)


def test_premoderation_reason(policy: Policy) -> None:
    assert decide(policy, "hi", QUIET, author={"status": "premoderated"}).reasons == ("premoderated",)


def test_matched_words_are_given_as_positions(policy: Policy) -> None:
    decision = decide(policy, "oh you 1d10t and idiot")
    (rule,) = decision.matched
    assert rule.spans == ((7, 12), (17, 22))


def test_decision_records_the_policy_version_and_is_json_ready(policy: Policy) -> None:
    decision = decide(policy, "Buy now")
    assert decision.policy_version == policy.version
    assert decision.to_dict() == {
        "action": "hold",
        "reasons": ["pattern"],
        "matched": [{"name": "pattern", "reason": "pattern", "action": "hold", "spans": [[0, 7]]}],
        "policy_version": policy.version,
    }


def test_article_premoderation_can_bind_trusted_authors(tmp_path: Path) -> None:
    path = tmp_path / "strict.yaml"
    path.write_text("premoderation: {trusted_authors_skip_article: false}\nrules: []\n")
    facts = CommentFacts("hi", AuthorFacts(status="trusted"), ArticleFacts(premoderated=True))
    assert evaluate(load_policy(path), facts, {}).action == "hold"


def test_evaluation_is_pure(policy: Policy) -> None:
    facts = CommentFacts("you idiot https://evil.test/x")
    assert evaluate(policy, facts, QUIET) == evaluate(policy, facts, QUIET)
