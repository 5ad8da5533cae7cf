"""Word lists: one Aho-Corasick automaton over every entry's skeleton, so thousands of entries stay fast."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Literal

import ahocorasick  # type: ignore[import-not-found]

from policies.normalise import Skeleton, fold_entry, skeletons

Mode = Literal["word", "substring", "prefix", "exact"]
MODES: tuple[str, ...] = ("word", "substring", "prefix", "exact")
KINDS: tuple[str, ...] = ("banned", "suspect")

Span = tuple[int, int]


@dataclass(frozen=True)
class WordList:
    name: str
    kind: str  # banned | suspect
    mode: Mode
    case_sensitive: bool
    entries: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class _Entry:
    list_name: str
    mode: str
    runs: tuple[int, ...]
    length: int


def _runs_cover(skeleton: Skeleton, start: int, runs: tuple[int, ...]) -> bool:
    # "as" must not match the entry "ass": each letter must repeat at least as often as in the entry.
    return all(skeleton.runs[start + k] >= needed for k, needed in enumerate(runs) if needed > 1)


def _bounded(text: str, start: int, end: int, mode: str) -> bool:
    if mode == "substring":
        return True
    left = start == 0 or text[start - 1] == " "
    if mode == "prefix":
        return left
    return left and (end == len(text) or text[end] == " ")


class _Automaton:
    """Entries of one folding flavour (case-insensitive with leetspeak, or case-sensitive)."""

    def __init__(self, casefold: bool) -> None:
        self.casefold = casefold
        self._automaton = ahocorasick.Automaton()
        self._exact: dict[str, list[_Entry]] = {}
        self._size = 0

    def add(self, word_list: WordList, entry: str) -> bool:
        skeleton = fold_entry(entry, casefold=self.casefold, leet=self.casefold)
        if not skeleton.text:
            return False
        item = _Entry(word_list.name, word_list.mode, skeleton.runs, len(skeleton.text))
        if word_list.mode == "exact":
            self._exact.setdefault(skeleton.text, []).append(item)
            return True
        existing = self._automaton.get(skeleton.text, None)
        if existing is None:
            self._automaton.add_word(skeleton.text, [item])
            self._size += 1
        else:
            existing.append(item)
        return True

    def finish(self) -> None:
        if self._size:
            self._automaton.make_automaton()

    def scan(self, text: str, hits: dict[str, set[Span]]) -> None:
        if not self._size and not self._exact:
            return
        for skeleton in skeletons(text, casefold=self.casefold, leet=self.casefold):
            if self._exact:
                for item in self._exact.get(skeleton.text, ()):
                    if _runs_cover(skeleton, 0, item.runs):
                        hits.setdefault(item.list_name, set()).add((0, len(text)))
            if not self._size:
                continue
            for end_index, items in self._automaton.iter(skeleton.text):
                for item in items:
                    start = end_index - item.length + 1
                    if _bounded(skeleton.text, start, end_index + 1, item.mode) and _runs_cover(
                        skeleton, start, item.runs
                    ):
                        hits.setdefault(item.list_name, set()).add(skeleton.span(start, end_index))


class WordMatcher:
    """All word lists of a policy; `scan` finds every list hit in a text in one pass per skeleton."""

    def __init__(self, word_lists: Iterable[WordList] = ()) -> None:
        self.lists: dict[str, WordList] = {}
        self._folded = _Automaton(casefold=True)
        self._literal = _Automaton(casefold=False)
        self.empty_entries: list[tuple[str, str]] = []
        for word_list in word_lists:
            self.lists[word_list.name] = word_list
            target = self._literal if word_list.case_sensitive else self._folded
            for entry in word_list.entries:
                if not target.add(word_list, entry):
                    self.empty_entries.append((word_list.name, entry))
        self._folded.finish()
        self._literal.finish()

    def names_of_kind(self, kind: str) -> tuple[str, ...]:
        return tuple(name for name, word_list in self.lists.items() if word_list.kind == kind)

    def scan(self, text: str) -> dict[str, tuple[Span, ...]]:
        """Spans (character offsets into `text`) of every hit, per word-list name."""
        hits: dict[str, set[Span]] = {}
        self._folded.scan(text, hits)
        self._literal.scan(text, hits)
        return {name: tuple(sorted(spans)) for name, spans in hits.items()}


def matches(matcher: WordMatcher, text: str, names: Sequence[str]) -> tuple[Span, ...]:
    """Spans of hits from the given lists, in text order."""
    found = matcher.scan(text)
    return tuple(sorted(span for name in names for span in found.get(name, ())))
