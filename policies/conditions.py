"""Rule conditions: small immutable objects that test one fact of a comment, combined with all/any/not."""

from __future__ import annotations

import operator
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Protocol

import regex

from policies import textfacts
from policies.model import CommentFacts
from policies.words import Span, WordMatcher

# A condition answers None (no match) or the spans that made it match (possibly none).
Result = tuple[Span, ...] | None

COMPARATORS: dict[str, Callable[[float, float], bool]] = {
    ">=": operator.ge, ">": operator.gt, "<=": operator.le, "<": operator.lt, "==": operator.eq,
    "!=": operator.ne,
}  # fmt: skip


class Context:
    """Per-evaluation cache of facts derived from the text, so each is computed at most once."""

    def __init__(
        self, facts: CommentFacts, scores: Mapping[str, float], matcher: WordMatcher, regex_timeout: float
    ) -> None:
        self.facts = facts
        self.scores = scores
        self.matcher = matcher
        self.regex_timeout = regex_timeout
        self.timed_out = False
        self._word_hits: dict[str, tuple[Span, ...]] | None = None
        self._links: tuple[textfacts.Link, ...] | None = None
        self._length: int | None = None

    def word_hits(self) -> dict[str, tuple[Span, ...]]:
        if self._word_hits is None:
            self._word_hits = self.matcher.scan(self.facts.text)
        return self._word_hits

    def length(self) -> int:
        if self._length is None:
            self._length = textfacts.grapheme_length(self.facts.text)
        return self._length

    def links(self) -> tuple[textfacts.Link, ...]:
        if self._links is None:
            self._links = textfacts.links(self.facts.text)
        return self._links


class Condition(Protocol):
    def test(self, ctx: Context) -> Result: ...


@dataclass(frozen=True)
class Comparison:
    op: str
    value: float

    def __call__(self, actual: float | None) -> bool:
        return actual is not None and COMPARATORS[self.op](actual, self.value)

    def __str__(self) -> str:
        return f"{self.op} {self.value:g}"


@dataclass(frozen=True)
class All:
    children: tuple[Condition, ...]

    def test(self, ctx: Context) -> Result:
        spans: list[Span] = []
        for child in self.children:
            found = child.test(ctx)
            if found is None:
                return None
            spans.extend(found)
        return tuple(spans)


@dataclass(frozen=True)
class Any:
    children: tuple[Condition, ...]

    def test(self, ctx: Context) -> Result:
        # Every matching branch is kept, so a moderator sees all evidence, not just the first.
        results = [found for child in self.children if (found := child.test(ctx)) is not None]
        return tuple(span for found in results for span in found) if results else None


@dataclass(frozen=True)
class Not:
    child: Condition

    def test(self, ctx: Context) -> Result:
        return () if self.child.test(ctx) is None else None


def _yes(matched: bool, spans: tuple[Span, ...] = ()) -> Result:
    return spans if matched else None


@dataclass(frozen=True)
class Score:
    category: str
    compare: Comparison

    def test(self, ctx: Context) -> Result:
        # A missing score never matches: failed scoring is the workers' decision (classification_failed).
        return _yes(self.compare(ctx.scores.get(self.category)))


@dataclass(frozen=True)
class Words:
    names: tuple[str, ...] = ()
    kind: str | None = None

    def test(self, ctx: Context) -> Result:
        names = self.names or ctx.matcher.names_of_kind(self.kind or "")
        hits = ctx.word_hits()
        spans = tuple(sorted(span for name in names for span in hits.get(name, ())))
        return _yes(bool(spans), spans)


@dataclass(frozen=True)
class Regex:
    pattern: regex.Pattern[str]

    def test(self, ctx: Context) -> Result:
        try:
            spans = tuple(m.span() for m in self.pattern.finditer(ctx.facts.text, timeout=ctx.regex_timeout))
        except TimeoutError:
            ctx.timed_out = True
            return None
        return _yes(bool(spans), spans)


@dataclass(frozen=True)
class LinkCount:
    compare: Comparison

    def test(self, ctx: Context) -> Result:
        found = ctx.links()
        return _yes(self.compare(len(found)), tuple(link.span for link in found))


@dataclass(frozen=True)
class LinkDomains:
    allow: frozenset[str] | None = None
    deny: frozenset[str] = field(default_factory=frozenset)

    def test(self, ctx: Context) -> Result:
        spans = tuple(
            link.span
            for link in ctx.links()
            if textfacts.domain_in(link.domain, self.deny)
            or (self.allow is not None and not textfacts.domain_in(link.domain, self.allow))
        )
        return _yes(bool(spans), spans)


@dataclass(frozen=True)
class Length:
    compare: Comparison

    def test(self, ctx: Context) -> Result:
        return _yes(self.compare(ctx.length()))


@dataclass(frozen=True)
class CapsRatio:
    compare: Comparison

    def test(self, ctx: Context) -> Result:
        return _yes(self.compare(textfacts.caps_ratio(ctx.facts.text)))


@dataclass(frozen=True)
class RepeatedChars:
    compare: Comparison

    def test(self, ctx: Context) -> Result:
        length, span = textfacts.longest_repeat(ctx.facts.text)
        return _yes(self.compare(length), (span,))


@dataclass(frozen=True)
class Fact:
    """A comparison on one author or article fact; an unknown fact (None) never matches."""

    getter: Callable[[CommentFacts], float | None]
    compare: Comparison

    def test(self, ctx: Context) -> Result:
        return _yes(self.compare(self.getter(ctx.facts)))


@dataclass(frozen=True)
class OneOf:
    """A text fact (author status, article section, language) is one of the listed values."""

    getter: Callable[[CommentFacts], str | None]
    values: frozenset[str]

    def test(self, ctx: Context) -> Result:
        value = self.getter(ctx.facts)
        return _yes(value is not None and value.casefold() in self.values)


@dataclass(frozen=True)
class Flag:
    getter: Callable[[CommentFacts], bool]
    expected: bool

    def test(self, ctx: Context) -> Result:
        return _yes(self.getter(ctx.facts) == self.expected)
