"""The rule engine: a pure function from model scores, comment facts and a policy to a decision."""

from __future__ import annotations

from collections.abc import Mapping

from policies.conditions import Context
from policies.model import SEVERITY, Action, CommentFacts, Decision, MatchedRule, Policy

PREMODERATED = "premoderated"
RULE_TIMEOUT = "rule_timeout"


def _premoderation(policy: Policy, facts: CommentFacts) -> list[MatchedRule]:
    matched = []
    if facts.author.status == "premoderated":
        matched.append(MatchedRule("premoderated_author", PREMODERATED, "hold"))
    trusted_skips = facts.author.status == "trusted" and policy.trusted_skip_article_premoderation
    if facts.article.premoderated and not trusted_skips:
        matched.append(MatchedRule("premoderated_article", PREMODERATED, "hold"))
    return matched


def evaluate(policy: Policy, facts: CommentFacts, scores: Mapping[str, float]) -> Decision:
    """Decide publish / hold / reject. Pure: no I/O and no logging, so it can run anywhere."""
    matched = _premoderation(policy, facts)
    ctx = Context(facts, scores, policy.matcher, policy.regex_timeout_seconds)
    trusted = facts.author.status == "trusted"
    for rule in policy.rules:
        if trusted and rule.skippable:
            continue
        ctx.timed_out = False
        spans = rule.condition.test(ctx)
        if ctx.timed_out:
            # A pattern that ran out of time cannot vouch for the comment: a person looks at it.
            matched.append(MatchedRule(rule.name, RULE_TIMEOUT, "hold"))
        if spans is None:
            continue
        matched.append(MatchedRule(rule.name, rule.reason, rule.action, tuple(sorted(set(spans)))))
        if rule.stop:
            break
    action: Action = "publish"
    for hit in matched:
        if SEVERITY[hit.action] > SEVERITY[action]:
            action = hit.action
    reasons = tuple(dict.fromkeys(hit.reason for hit in matched if hit.action == action))
    return Decision(action, reasons, tuple(matched), policy.version)
