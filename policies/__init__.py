"""Policy files and the rule engine: what a site publishes, holds or rejects, and why."""

from policies.engine import evaluate
from policies.loader import load_policy
from policies.model import (
    DETOXIFY_CATEGORIES,
    ArticleFacts,
    AuthorFacts,
    CommentFacts,
    Decision,
    Limits,
    MatchedRule,
    Policy,
    PolicyError,
    PolicyIssue,
    Rule,
)
from policies.store import PolicyStore
from policies.textfacts import grapheme_length

__all__ = [
    "DETOXIFY_CATEGORIES",
    "ArticleFacts",
    "AuthorFacts",
    "CommentFacts",
    "Decision",
    "Limits",
    "MatchedRule",
    "Policy",
    "PolicyError",
    "PolicyIssue",
    "PolicyStore",
    "Rule",
    "evaluate",
    "grapheme_length",
    "load_policy",
]
