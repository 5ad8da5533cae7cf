"""Word-list matching: every evasion form, innocent words, modes, and properties of the matcher."""
# ruff: noqa: RUF001 -- full-width and look-alike letters are the evasions under test.

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from policies.normalise import fold_char, skeletons
from policies.words import WordList, WordMatcher


def matcher(*entries: str, mode: str = "word", case_sensitive: bool = False) -> WordMatcher:
    return WordMatcher([WordList("banned", "banned", mode, case_sensitive, entries)])  # type: ignore[arg-type]


BANNED = matcher("idiot", "ass", "cunt", "kill yourself", "shit")


@pytest.mark.parametrize(
    ("text", "span"),
    [
        pytest.param("you idiot", (4, 9), id="plain"),
        pytest.param("you IDIOT", (4, 9), id="upper case"),
        pytest.param("you IdIoT!", (4, 9), id="mixed case, trailing punctuation"),
        pytest.param("you ídíöt", (4, 9), id="accents"),
        pytest.param("you i\u0301dio\u0308t", (4, 11), id="combining accents"),
        pytest.param("you ＩＤＩＯＴ", (4, 9), id="full-width"),
        pytest.param("you \u0456d\u0456\u043et", (4, 9), id="cyrillic look-alikes"),
        pytest.param("you \u03b9d\u03b9\u03bft", (4, 9), id="greek look-alikes"),
        pytest.param("you id\u200biot", (4, 10), id="zero-width space"),
        pytest.param("you i\u200dd\u2060i\ufeffot", (4, 12), id="zero-width joiner, word joiner, BOM"),
        pytest.param("you i\u00add\u00adiot", (4, 11), id="soft hyphens"),
        pytest.param("you idiooooot", (4, 13), id="repeated letters"),
        pytest.param("you iiiddddiiiioooottt", (4, 22), id="every letter repeated"),
        pytest.param("you 1d10t", (4, 9), id="leetspeak digits"),
        pytest.param("you !d!0t", (4, 9), id="leetspeak symbols"),
        pytest.param("sh1t happens", (0, 4), id="leet 1 as i"),
        pytest.param("you idiot123", (4, 9), id="number glued on"),
        pytest.param("you 1d10t99!", (4, 9), id="leetspeak and a number glued on"),
        pytest.param("a55 7", (0, 3), id="leet digits at the end still read as letters"),
        pytest.param("you i.d.i.o.t", (4, 13), id="dots inside the word"),
        pytest.param("you i-d-i-o-t", (4, 13), id="hyphens inside the word"),
        pytest.param("you i_d_i_o_t", (4, 13), id="underscores inside the word"),
        pytest.param("you i d i o t ok", (4, 13), id="spaced-out letters"),
        pytest.param("you id.iot", (4, 10), id="one separator inside"),
        pytest.param("well,idiot", (5, 10), id="punctuation as a word break"),
        pytest.param("I.D.1.0.T", (0, 9), id="separators and leet and case together"),
        pytest.param("go k1ll yourself", (3, 16), id="multi-word entry with leet 1 as l"),
        pytest.param("go kill    yourself", (3, 19), id="multi-word entry, extra spaces"),
        pytest.param("a$$", (0, 3), id="dollar signs as s"),
        pytest.param("assss", (0, 5), id="repeated letter in a doubled-letter entry"),
        pytest.param("c\u00fcnt", (0, 4), id="umlaut"),
    ],
)
def test_evasion_forms_are_seen_through(text: str, span: tuple[int, int]) -> None:
    assert span in BANNED.scan(text).get("banned", ())


@pytest.mark.parametrize(
    "text",
    [
        pytest.param("Scunthorpe United won", id="Scunthorpe"),
        pytest.param("an assassin in the classic", id="assassin and classic"),
        pytest.param("as I said, pass the glass", id="as is not ass"),
        pytest.param("the idiotic plan", id="longer word in word mode"),
        pytest.param("shitake", id="mushroom"),
        pytest.param("idiot!" * 0 + "I paid $5 for 2007 tickets", id="money and years are not leet"),
        pytest.param("Mr. T. Hanks", id="initials"),
        pytest.param("class2026 in room101, covid19", id="numbers glued to innocent words"),
        pytest.param("", id="empty"),
    ],
)
def test_innocent_words_do_not_match_in_word_mode(text: str) -> None:
    assert BANNED.scan(text) == {}


@pytest.mark.parametrize(
    ("mode", "text", "expected"),
    [
        ("substring", "an assassin", ((3, 6), (6, 9))),
        ("substring", "classic", ((2, 5),)),
        ("prefix", "asshat", ((0, 3),)),
        ("prefix", "classic", ()),
        ("word", "asshat", ()),
        ("exact", "ASS!", ((0, 4),)),
        ("exact", "you ass", ()),
    ],
)
def test_modes(mode: str, text: str, expected: tuple[tuple[int, int], ...]) -> None:
    assert matcher("ass", mode=mode).scan(text).get("banned", ()) == expected


@pytest.mark.parametrize(
    ("text", "found"),
    [("ACAB forever", True), ("acab forever", False), ("A.C.A.B", True), ("ＡＣＡＢ", True)],
)
def test_case_sensitive_lists_keep_case_but_fold_the_rest(text: str, found: bool) -> None:
    assert bool(matcher("ACAB", case_sensitive=True).scan(text)) is found


def test_hits_are_reported_per_list() -> None:
    both = WordMatcher(
        [
            WordList("hard", "banned", "word", False, ("idiot",)),
            WordList("soft", "suspect", "word", False, ("moron", "idiot")),
        ]
    )
    assert both.scan("moron idiot") == {"hard": ((6, 11),), "soft": ((0, 5), (6, 11))}
    assert both.names_of_kind("suspect") == ("soft",)


def test_thousands_of_entries_share_one_automaton() -> None:
    many = matcher(*(f"word{n}x" for n in range(5000)))
    assert many.scan("this has word4999x in it") == {"banned": ((9, 18),)}


def test_format_characters_fold_to_nothing() -> None:
    assert fold_char("\u200b") == ""
    assert fold_char("Ａ") == "a"


_WORD = st.text(alphabet="bcdfghjkmnpqrvwxz", min_size=3, max_size=8)
_FILLER = st.lists(st.text(alphabet="uy", min_size=1, max_size=6), max_size=5)


def _evade(word: str, choices: list[int]) -> str:
    forms = [
        lambda c: c.upper(),
        lambda c: c + "\u200b",
        lambda c: c + "\u0301",
        lambda c: chr(ord(c) - ord("a") + ord("ａ")),
        lambda c: c * 3,
        lambda c: c + ".",
        lambda c: c,
    ]
    out = [forms[choice % len(forms)](char) for char, choice in zip(word, choices, strict=False)]
    return "".join(out).rstrip(".")


@settings(max_examples=200, deadline=None)
@given(word=_WORD, before=_FILLER, after=_FILLER, choices=st.lists(st.integers(0, 6), min_size=8, max_size=8))
def test_property_an_evaded_word_between_other_words_is_found(
    word: str, before: list[str], after: list[str], choices: list[int]
) -> None:
    evaded = _evade(word, choices)
    prefix = " ".join(before) + (" " if before else "")
    text = prefix + evaded + (" " if after else "") + " ".join(after)
    spans = matcher(word).scan(text).get("banned", ())
    assert (len(prefix), len(prefix) + len(evaded)) in spans


@settings(max_examples=200, deadline=None)
@given(word=_WORD, text=st.text(alphabet="aeiouy .,!-", max_size=60))
def test_property_text_without_the_letters_never_matches(word: str, text: str) -> None:
    assert matcher(word, mode="substring").scan(text) == {}


@settings(max_examples=300, deadline=None)
@given(
    text=st.text(max_size=80),
    entries=st.lists(st.text(alphabet="abcdeio1 ", min_size=1, max_size=6), max_size=4),
)
def test_property_spans_lie_inside_the_text(text: str, entries: list[str]) -> None:
    usable = [entry for entry in entries if entry.strip(" ")]
    for spans in matcher(*usable, mode="substring").scan(text).values():
        for start, end in spans:
            assert 0 <= start < end <= len(text)


@settings(max_examples=200, deadline=None)
@given(text=st.text(max_size=80))
def test_property_skeletons_never_contain_format_characters_or_upper_case(text: str) -> None:
    for skeleton in skeletons(text):
        assert all(not char.isupper() and char not in "\u200b\u200d\ufeff" for char in skeleton.text)
        assert len(skeleton.runs) == len(skeleton.text) == len(skeleton.starts)


@settings(max_examples=200, deadline=None)
@given(
    word=st.text(alphabet="bcdfg", min_size=3, max_size=6),
    prefix=st.text(alphabet="hjkmn", max_size=4),
    suffix=st.text(alphabet="hjkmn", max_size=4),
)
def test_property_word_mode_ignores_a_banned_word_inside_a_longer_word(word: str, prefix: str, suffix: str) -> None:
    text = f"say {prefix}{word}{suffix} now"
    found_as_word = bool(matcher(word).scan(text))
    assert found_as_word is (not prefix and not suffix)
    assert matcher(word, mode="substring").scan(text)["banned"] == ((4 + len(prefix), 4 + len(prefix) + len(word)),)
