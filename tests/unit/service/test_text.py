"""Comment text rules: normalisation, forbidden characters, visible length, duplicate fingerprint."""

from __future__ import annotations

import pytest

from service.text import duplicate_fingerprint, first_forbidden_character, normalise, visible_length


@pytest.mark.parametrize(
    ("raw", "stored"),
    [
        ("e\u0301te\u0301", "\u00e9t\u00e9"),  # decomposed accents compose
        ("  padded \n", "padded"),
        ("a\r\nb\rc", "a\nb\nc"),
    ],
)
def test_normalise(raw: str, stored: str) -> None:
    assert normalise(raw) == stored


@pytest.mark.parametrize(
    ("text", "position"),
    [("plain", None), ("tab\tand\nnewline", None), ("\x00", 0), ("ab\x0bc", 2), ("x\x7f", 1), ("x\x9b", 1)],
)
def test_first_forbidden_character(text: str, position: int | None) -> None:
    assert first_forbidden_character(text) == position


@pytest.mark.parametrize(
    ("text", "length"),
    [
        ("hello", 5),
        ("caf\u00e9", 4),
        ("cafe\u0301", 4),  # combining accent belongs to its letter
        ("\U0001f44d\U0001f3fd", 1),  # skin tone modifier
        ("\U0001f1eb\U0001f1f7", 1),  # a flag is two regional indicators
        ("\U0001f468\u200d\U0001f469\u200d\U0001f467", 1),  # ZWJ family
        ("\u0928\u092e\u0938\u094d\u0924\u0947", 3),  # Devanagari conjuncts (Unicode 15.1 rules)
    ],
)
def test_visible_length_counts_graphemes(text: str, length: int) -> None:
    assert visible_length(text) == length


def test_duplicate_fingerprint_folds_case_and_spacing_only() -> None:
    assert duplicate_fingerprint("Hello   World") == duplicate_fingerprint("hello world")
    assert duplicate_fingerprint("Hello World") != duplicate_fingerprint("Hello World!")
