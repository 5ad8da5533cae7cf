"""Comment text rules shared by intake checks: normalisation, forbidden characters, visible length."""

from __future__ import annotations

import hashlib
import unicodedata

import regex

# C0/C1 controls except tab and newline; a carriage return is folded into a newline first.
_FORBIDDEN = regex.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
_GRAPHEME = regex.compile(r"\X")
_WHITESPACE = regex.compile(r"\s+")


def normalise(text: str) -> str:
    """The stored form: NFC, CRLF/CR as LF, surrounding whitespace trimmed."""
    return unicodedata.normalize("NFC", text.replace("\r\n", "\n").replace("\r", "\n")).strip()


def first_forbidden_character(text: str) -> int | None:
    """Index of the first control character other than tab or newline, if any."""
    match = _FORBIDDEN.search(text)
    return match.start() if match else None


def visible_length(text: str) -> int:
    """Characters as a reader counts them: extended grapheme clusters (a flag or a toned emoji is one)."""
    if text.isascii():
        return len(text)
    return len(_GRAPHEME.findall(text))


def duplicate_fingerprint(text: str) -> str:
    """Hash of the text with case and spacing folded, so trivially re-spaced reposts match."""
    folded = _WHITESPACE.sub(" ", text.casefold()).strip()
    return hashlib.sha256(folded.encode()).hexdigest()
