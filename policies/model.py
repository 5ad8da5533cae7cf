"""Value types shared by the policy loader, the rule engine and their callers."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

if TYPE_CHECKING:
    from policies.conditions import Condition
    from policies.words import WordMatcher

Action = Literal["publish", "hold", "reject"]
ACTIONS: tuple[Action, ...] = ("publish", "hold", "reject")
# Index in ACTIONS is the severity: reject beats hold beats publish.
SEVERITY: dict[str, int] = {action: rank for rank, action in enumerate(ACTIONS)}

DETOXIFY_CATEGORIES: frozenset[str] = frozenset(
    {"toxicity", "severe_toxicity", "obscene", "threat", "insult", "identity_attack"}
)
AUTHOR_STATUSES: frozenset[str] = frozenset({"active", "trusted", "premoderated", "suspended", "banned"})


@dataclass(frozen=True)
class PolicyIssue:
    """One problem found in a policy file, located for the editor."""

    file: str
    line: int
    column: int
    message: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.column}: {self.message}"


class PolicyError(ValueError):
    """A policy file (or something it pulls in) is invalid; the whole policy is refused."""

    def __init__(self, errors: list[PolicyIssue]) -> None:
        self.errors = errors
        super().__init__("\n".join(str(issue) for issue in errors))


@dataclass(frozen=True)
class Limits:
    """Limits that intake enforces before a comment is queued."""

    min_length: int = 1
    max_length: int = 300  # reader-perceived characters (grapheme clusters)
    rate_per_author: str = "10/minute"  # `limits` package syntax, e.g. "10/minute;100/day"
    rate_per_author_article: str = "5/minute"
    rate_per_ip: str = "30/minute"
    duplicate_window_seconds: int = 600
    report_limit: int = 3
    # Window over which the service computes AuthorFacts.recent_rejection_rate.
    rejection_rate_window_days: int = 30


@dataclass(frozen=True)
class AuthorFacts:
    status: str = "active"  # active | trusted | premoderated | suspended | banned
    account_age_days: float | None = None
    approved_count: int = 0
    rejected_count: int = 0
    recent_rejection_rate: float = 0.0
    is_first_comment: bool = False


@dataclass(frozen=True)
class ArticleFacts:
    section: str | None = None
    premoderated: bool = False
    age_days: float | None = None


@dataclass(frozen=True)
class CommentFacts:
    text: str
    author: AuthorFacts = AuthorFacts()
    article: ArticleFacts = ArticleFacts()
    language: str | None = None


@dataclass(frozen=True)
class MatchedRule:
    name: str
    reason: str
    action: Action
    spans: tuple[tuple[int, int], ...] = ()  # character offsets into the comment text

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "reason": self.reason,
            "action": self.action,
            "spans": [list(span) for span in self.spans],
        }


@dataclass(frozen=True)
class Decision:
    action: Action
    reasons: tuple[str, ...]
    matched: tuple[MatchedRule, ...]
    policy_version: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "action": self.action,
            "reasons": list(self.reasons),
            "matched": [rule.to_dict() for rule in self.matched],
            "policy_version": self.policy_version,
        }


@dataclass(frozen=True)
class Rule:
    name: str
    reason: str
    action: Action
    condition: Condition
    stop: bool = False
    skippable: bool = False


@dataclass(frozen=True)
class Policy:
    name: str
    version: str  # sha256 over the file, its extends chain and its word-list files
    limits: Limits
    rules: tuple[Rule, ...]
    reason_codes: tuple[str, ...]
    categories: frozenset[str]  # model categories the rules read
    matcher: WordMatcher
    regex_timeout_seconds: float = 0.05
    trusted_skip_article_premoderation: bool = True
    files: tuple[str, ...] = field(default=())  # paths the policy was built from, for reload checks
