"""Facts computed from comment text that rules read: length, links and their domains, shouting, repeats."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit

import regex

# Scheme or "www." links, and bare domains when a path follows or the top-level domain is a common one
# ("bit.ly/x", "spam.com"), without counting "e.g." or "3.5" as links.
_LINK = regex.compile(
    r"(?i)(?:\b(?:https?://|www\.)[^\s<>\"'()\[\]]+"
    r"|(?<![\w@.-])(?:[a-z0-9-]+\.)+(?:[a-z]{2,}/[^\s<>\"'()\[\]]*"
    r"|(?:com|net|org|info|biz|io|co|ly|ru|xyz|top|online|site|shop)\b(?!\.\w)))"
)
_GRAPHEME = regex.compile(r"\X")
# Below this many letters a comment is too short for its share of capitals to mean shouting ("OK").
MIN_LETTERS_FOR_CAPS = 10


@dataclass(frozen=True)
class Link:
    domain: str
    span: tuple[int, int]


def grapheme_length(text: str) -> int:
    """Reader-perceived characters: "e" + combining accent or a skin-toned emoji count as one."""
    return len(_GRAPHEME.findall(text))


def links(text: str) -> tuple[Link, ...]:
    found = []
    for match in _LINK.finditer(text):
        url = match.group(0).rstrip(".,;:!?")
        if "://" not in url:
            url = "http://" + url
        domain = (urlsplit(url).hostname or "").lower().removeprefix("www.")
        found.append(Link(domain, (match.start(), match.start() + len(match.group(0).rstrip(".,;:!?")))))
    return tuple(found)


def domain_in(domain: str, domains: frozenset[str]) -> bool:
    """Whether a domain or one of its parents is listed ("news.example.com" is in "example.com")."""
    parts = domain.split(".")
    return any(".".join(parts[i:]) in domains for i in range(len(parts)))


def caps_ratio(text: str) -> float:
    letters = [c for c in text if c.isalpha()]
    if len(letters) < MIN_LETTERS_FOR_CAPS:
        return 0.0
    return sum(1 for c in letters if c.isupper()) / len(letters)


def longest_repeat(text: str) -> tuple[int, tuple[int, int]]:
    """Length and span of the longest run of one repeated non-space character (case-insensitive)."""
    best, best_span = 0, (0, 0)
    run, start, previous = 0, 0, ""
    for index, original in enumerate(text):
        char = original.casefold()
        if char == previous and not char.isspace():
            run += 1
        else:
            run, start, previous = 1, index, char
        if run > best and not char.isspace():
            best, best_span = run, (start, index + 1)
    return best, best_span
