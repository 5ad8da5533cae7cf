"""Evasion folding: turns text into skeletons that word lists are matched against, keeping offsets."""
# ruff: noqa: RUF001 -- look-alike letters from other scripts are exactly what this module maps.

from __future__ import annotations

import functools
import itertools
import unicodedata
from dataclasses import dataclass

# Look-alike letters from other scripts that readers use to dodge word lists (after case folding).
_CONFUSABLES = str.maketrans(
    {
        "а": "a", "в": "b", "е": "e", "ё": "e", "і": "i", "ї": "i", "ј": "j", "к": "k", "м": "m",
        "н": "h", "о": "o", "р": "p", "с": "c", "т": "t", "у": "y", "х": "x", "ѕ": "s", "ԁ": "d",
        "ɡ": "g", "ı": "i", "ℓ": "l",
        "α": "a", "β": "b", "ε": "e", "η": "n", "ι": "i", "κ": "k", "ν": "v", "ο": "o", "ρ": "p",
        "τ": "t", "υ": "u", "χ": "x", "ω": "w",
    }
)  # fmt: skip

# Common leetspeak. Digits and "$@€" count only inside a token that also has letters ("2007", "$5" stay);
# "!", "|" and "+" count only when a letter follows, so "idiot!" keeps its exclamation mark.
LEET: dict[str, str] = {
    "0": "o", "1": "i", "3": "e", "4": "a", "5": "s", "7": "t", "8": "b", "9": "g",
    "@": "a", "$": "s", "!": "i", "|": "i", "€": "e", "+": "t",
}  # fmt: skip
# "1" and "|" stand for "l" as often as for "i": texts that use them get a second skeleton.
LEET_ALTERNATE: dict[str, str] = {"1": "l", "|": "l"}
_NEEDS_LETTER_AFTER = frozenset("!|+")


@functools.lru_cache(maxsize=8192)
def fold_char(char: str, casefold: bool = True) -> str:
    """Fold one character: drop format (zero-width) characters, full-width, accents, look-alikes."""
    if unicodedata.category(char) == "Cf":
        return ""
    folded = unicodedata.normalize("NFKC", char)
    if casefold:
        folded = folded.casefold()
    folded = "".join(c for c in unicodedata.normalize("NFD", folded) if not unicodedata.combining(c))
    return unicodedata.normalize("NFC", folded).translate(_CONFUSABLES)


@dataclass(frozen=True, slots=True)
class Skeleton:
    """Folded text with repeated letters collapsed; runs[i] counts how often text[i] was repeated."""

    text: str
    runs: tuple[int, ...]
    starts: tuple[int, ...]  # offset in the original text where text[i] begins
    ends: tuple[int, ...]  # offset in the original text just after text[i]

    def span(self, first: int, last: int) -> tuple[int, int]:
        return self.starts[first], self.ends[last]


_Char = tuple[str, int, int]  # folded character, original start, original end


def _tokens(text: str, casefold: bool) -> list[list[_Char]]:
    tokens: list[list[_Char]] = []
    current: list[_Char] = []
    for index, char in enumerate(text):
        if char.isspace():
            if current:
                tokens.append(current)
                current = []
            continue
        folded_chars = fold_char(char, casefold)
        if not folded_chars and current:
            # A dropped mark (combining accent, zero-width) belongs to the letter before it.
            current[-1] = (current[-1][0], current[-1][1], index + 1)
        for folded in folded_chars:
            if folded.isspace():
                if current:
                    tokens.append(current)
                    current = []
            else:
                current.append((folded, index, index + 1))
    if current:
        tokens.append(current)
    return tokens


_LEET_CHARS = frozenset(LEET)


def _deleet(token: list[_Char], alternate: bool) -> list[_Char]:
    # Most tokens are plain words: skip them before any per-character work.
    if _LEET_CHARS.isdisjoint(c for c, _, _ in token) or not any(c.isalpha() for c, _, _ in token):
        return token
    mapped: list[_Char] = list(token)
    # Right to left so that "a$$hole" sees the letter after each symbol already mapped.
    for position in range(len(mapped) - 1, -1, -1):
        char, start, end = mapped[position]
        replacement = (LEET_ALTERNATE.get(char) if alternate else None) or LEET.get(char)
        if replacement is None:
            continue
        if char not in _NEEDS_LETTER_AFTER or (position + 1 < len(mapped) and mapped[position + 1][0].isalpha()):
            mapped[position] = (replacement, start, end)
    return mapped


def _words(token: list[_Char]) -> list[list[_Char]]:
    words: list[list[_Char]] = []
    current: list[_Char] = []
    for item in token:
        if item[0].isalnum():
            current.append(item)
        elif current:
            words.append(current)
            current = []
    if current:
        words.append(current)
    return words


def _collapse(words: list[list[_Char]]) -> Skeleton:
    text: list[str] = []
    runs: list[int] = []
    starts: list[int] = []
    ends: list[int] = []
    for number, word in enumerate(words):
        if number:
            text.append(" ")
            runs.append(1)
            starts.append(word[0][1])
            ends.append(word[0][1])
        for char, start, end in word:
            if text and text[-1] == char:
                runs[-1] += 1
                ends[-1] = end
            else:
                text.append(char)
                runs.append(1)
                starts.append(start)
                ends.append(end)
    return Skeleton("".join(text), tuple(runs), tuple(starts), tuple(ends))


def skeletons(text: str, casefold: bool = True, leet: bool = True) -> list[Skeleton]:
    """All skeletons of a text: separators as word breaks, and separators removed inside words
    ("i.d.i.o.t", "i d i o t"), each also with the alternate leetspeak reading when it applies."""
    tokens = _tokens(text, casefold)
    readings = [(False, False)]  # (alternate leetspeak, trailing digits cut off)
    if leet and any(c in LEET_ALTERNATE for token in tokens for c, _, _ in token):
        readings.append((True, False))
    if leet and any(_without_trailing_digits(token) is not token for token in tokens):
        readings.append((False, True))  # "idiot123": a number glued on, not leetspeak for "idiotize"
    result: dict[str, Skeleton] = {}
    for alternate, cut in readings:
        source = [_without_trailing_digits(token) for token in tokens] if cut else tokens
        mapped = [_deleet(token, alternate) for token in source] if leet else source
        split = [word for token in mapped for word in _words(token)]
        result.setdefault((skeleton := _collapse(split)).text, skeleton)
        if len(split) == len(mapped) and not _has_single_letter_run(split):
            continue  # no separators inside tokens and no spaced-out letters: joining changes nothing
        joined: list[list[_Char]] = []
        from_single_letters: list[bool] = []
        for token in mapped:
            letters = [item for item in token if item[0].isalnum()]
            if not letters:
                continue
            # Runs of one-letter tokens are a spaced-out word ("i d i o t").
            single = len(letters) == 1
            if single and from_single_letters and from_single_letters[-1]:
                joined[-1] = joined[-1] + letters
            else:
                joined.append(letters)
                from_single_letters.append(single)
        result.setdefault((skeleton := _collapse(joined)).text, skeleton)
    return list(result.values())


def _without_trailing_digits(token: list[_Char]) -> list[_Char]:
    """The token cut before a run of digits at its end (punctuation after it aside), when letters come
    before the digits; else the token itself."""
    digits_end = len(token)
    while digits_end and not token[digits_end - 1][0].isalnum():
        digits_end -= 1
    end = digits_end
    while end and token[end - 1][0].isdigit():
        end -= 1
    if end == digits_end or not any(char.isalpha() for char, _, _ in token[:end]):
        return token
    return token[:end]


def _has_single_letter_run(words: list[list[_Char]]) -> bool:
    return any(len(first) == 1 and len(second) == 1 for first, second in itertools.pairwise(words))


def fold_entry(entry: str, casefold: bool = True, leet: bool = True) -> Skeleton:
    """The skeleton a word-list entry is stored under (separators kept as word breaks)."""
    tokens = _tokens(entry, casefold)
    mapped = [_deleet(token, False) for token in tokens] if leet else tokens
    return _collapse([word for token in mapped for word in _words(token)])
