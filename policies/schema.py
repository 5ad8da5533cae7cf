"""The rule language: turns a rule's YAML nodes into Rule and Condition objects, reporting every problem."""

from __future__ import annotations

import re
from collections.abc import Callable, Collection
from dataclasses import dataclass, field

import regex
import yaml

from policies import conditions as c
from policies.model import ACTIONS, AUTHOR_STATUSES, Action, CommentFacts, Rule
from policies.words import KINDS
from policies.yamlnodes import Reader

IDENTIFIER = re.compile(r"^[a-z][a-z0-9_]*$")
_COMPARISON = re.compile(r"^\s*(>=|<=|==|!=|>|<)\s*(-?[0-9]+(?:\.[0-9]+)?)\s*$")
_SCORE = re.compile(r"^\s*([a-z_]+)\s*(>=|<=|==|!=|>|<)\s*([0-9]+(?:\.[0-9]+)?)\s*$")

_FACTS: dict[str, Callable[[CommentFacts], float | None]] = {
    "account_age_days": lambda f: f.author.account_age_days,
    "approved_count": lambda f: f.author.approved_count,
    "rejected_count": lambda f: f.author.rejected_count,
    "recent_rejection_rate": lambda f: f.author.recent_rejection_rate,
    "article_age_days": lambda f: f.article.age_days,
}
_ONE_OF: dict[str, Callable[[CommentFacts], str | None]] = {
    "author_status": lambda f: f.author.status,
    "article_section": lambda f: f.article.section,
    "language": lambda f: f.language,
}
_FLAGS: dict[str, Callable[[CommentFacts], bool]] = {
    "first_comment": lambda f: f.author.is_first_comment,
    "article_premoderated": lambda f: f.article.premoderated,
}
_TEXT_COMPARISONS: dict[str, Callable[[c.Comparison], c.Condition]] = {
    "length": c.Length,
    "links": c.LinkCount,
    "caps_ratio": c.CapsRatio,
    "repeated_chars": c.RepeatedChars,
}
CONDITION_KEYS: frozenset[str] = frozenset(
    {"all", "any", "not", "score", "words", "words_of_kind", "regex", "link_domains"}
    | set(_FACTS)
    | set(_ONE_OF)
    | set(_FLAGS)
    | set(_TEXT_COMPARISONS)
)
RULE_KEYS = frozenset({"name", "reason", "action", "when", "stop", "skippable", "description"})


@dataclass
class ParseState:
    """What parsing needs beyond the nodes: model categories, and word-list references to check later."""

    known_categories: frozenset[str]
    categories: set[str] = field(default_factory=set)
    word_refs: list[tuple[str, Reader, yaml.Node]] = field(default_factory=list)


class RuleParser:
    def __init__(self, reader: Reader, state: ParseState) -> None:
        self.r = reader
        self.state = state

    def rule(self, node: yaml.Node) -> Rule | None:
        fields = self.r.mapping(node, "rule", RULE_KEYS, required=("name", "reason", "action", "when"))
        if fields is None:
            return None
        name = self._identifier(fields.get("name"), "rule name")
        reason = self._identifier(fields.get("reason"), "reason")
        action = self._action(fields.get("action"))
        when = self.condition(fields["when"][1]) if "when" in fields else None
        stop = self.r.boolean(fields["stop"][1], "stop") if "stop" in fields else False
        skippable = self.r.boolean(fields["skippable"][1], "skippable") if "skippable" in fields else False
        if "description" in fields:
            self.r.string(fields["description"][1], "description")
        if name is None or reason is None or action is None or when is None or stop is None or skippable is None:
            return None
        return Rule(name, reason, action, when, stop, skippable)

    def _identifier(self, field_nodes: tuple[yaml.Node, yaml.Node] | None, what: str) -> str | None:
        if field_nodes is None:
            return None
        value = self.r.string(field_nodes[1], what)
        if value is not None and not IDENTIFIER.match(value):
            self.r.error(field_nodes[1], f"{what} {value!r} must be lower_snake_case")
            return None
        return value

    def _action(self, field_nodes: tuple[yaml.Node, yaml.Node] | None) -> Action | None:
        if field_nodes is None:
            return None
        value = self.r.string(field_nodes[1], "action")
        for action in ACTIONS:
            if value == action:
                return action
        if value is not None:
            self.r.error(field_nodes[1], f"action {value!r} must be one of: {', '.join(ACTIONS)}")
        return None

    def condition(self, node: yaml.Node) -> c.Condition | None:
        fields = self.r.mapping(node, "condition", CONDITION_KEYS)
        if fields is None:
            return None
        if not fields:
            if not node.value:
                self.r.error(node, "condition is empty")
            return None
        parts = [self._one(key, value) for key, (_, value) in fields.items()]
        if any(part is None for part in parts):
            return None
        checked = [part for part in parts if part is not None]
        # Several keys in one mapping all have to hold.
        return checked[0] if len(checked) == 1 else c.All(tuple(checked))

    def _one(self, key: str, node: yaml.Node) -> c.Condition | None:
        if key in ("all", "any"):
            items = self.r.sequence(node, key)
            if items is None:
                return None
            if not items:
                self.r.error(node, f"{key} needs at least one condition")
                return None
            children = [self.condition(item) for item in items]
            if any(child is None for child in children):
                return None
            kept = tuple(child for child in children if child is not None)
            return c.All(kept) if key == "all" else c.Any(kept)
        if key == "not":
            child = self.condition(node)
            return None if child is None else c.Not(child)
        if key == "score":
            return self._score(node)
        if key == "words":
            names = self.r.strings(node, "words")
            if names is None:
                return None
            self.state.word_refs.extend((name, self.r, item) for name, item in names)
            return c.Words(names=tuple(name for name, _ in names))
        if key == "words_of_kind":
            kind = self.r.string(node, "words_of_kind")
            if kind is not None and kind not in KINDS:
                self.r.error(node, f"words_of_kind must be one of: {', '.join(KINDS)}")
                return None
            return None if kind is None else c.Words(kind=kind)
        if key == "regex":
            return self._regex(node)
        if key == "link_domains":
            return self._link_domains(node)
        if key in _TEXT_COMPARISONS:
            compare = self._comparison(node, key)
            return None if compare is None else _TEXT_COMPARISONS[key](compare)
        if key in _FACTS:
            compare = self._comparison(node, key)
            return None if compare is None else c.Fact(_FACTS[key], compare)
        if key in _ONE_OF:
            values = self.r.strings(node, key)
            if values is None:
                return None
            if key == "author_status":
                for value, item in values:
                    if value not in AUTHOR_STATUSES:
                        self.r.error(
                            item,
                            f"author_status {value!r} must be one of: {', '.join(sorted(AUTHOR_STATUSES))}",
                        )
            return c.OneOf(_ONE_OF[key], frozenset(value.casefold() for value, _ in values))
        flag = self.r.boolean(node, key)
        return None if flag is None else c.Flag(_FLAGS[key], flag)

    def _comparison(self, node: yaml.Node, what: str) -> c.Comparison | None:
        text = node.value if isinstance(node, yaml.ScalarNode) else None
        match = _COMPARISON.match(text) if isinstance(text, str) and node.tag.endswith(":str") else None
        if match is None:
            self.r.error(node, f'{what} must be a comparison such as ">= 2"')
            return None
        return c.Comparison(match.group(1), float(match.group(2)))

    def _score(self, node: yaml.Node) -> c.Condition | None:
        text = self.r.string(node, "score")
        if text is None:
            return None
        match = _SCORE.match(text)
        if match is None:
            self.r.error(node, f'score must look like "toxicity >= 0.8", got {text!r}')
            return None
        category, op, value = match.group(1), match.group(2), float(match.group(3))
        if category not in self.state.known_categories:
            known = ", ".join(sorted(self.state.known_categories))
            self.r.error(node, f"unknown category {category!r}: the model outputs {known}")
            return None
        if not 0.0 <= value <= 1.0:
            self.r.error(node, f"score threshold {value:g} must lie between 0 and 1")
            return None
        self.state.categories.add(category)
        return c.Score(category, c.Comparison(op, value))

    def _regex(self, node: yaml.Node) -> c.Condition | None:
        pattern = self.r.string(node, "regex")
        if pattern is None:
            return None
        try:
            compiled = regex.compile(pattern)
        except regex.error as error:
            self.r.error(node, f"regex does not compile: {error}")
            return None
        return c.Regex(compiled)

    def _link_domains(self, node: yaml.Node) -> c.Condition | None:
        fields = self.r.mapping(node, "link_domains", ("allow", "deny"))
        if fields is None:
            return None
        if not fields:
            self.r.error(node, "link_domains needs allow or deny")
            return None
        lists: dict[str, frozenset[str]] = {}
        for key, (_, value) in fields.items():
            domains = self.r.strings(value, f"link_domains.{key}")
            if domains is None:
                return None
            lists[key] = frozenset(domain.lower().removeprefix("www.") for domain, _ in domains)
        return c.LinkDomains(allow=lists.get("allow"), deny=lists.get("deny", frozenset()))


def known(categories: Collection[str] | None, default: frozenset[str]) -> frozenset[str]:
    return default if categories is None else frozenset(categories)
