"""Vietnamese text keys: dictionary order for sorting names, and diacritic-free folding for search.

Python's default ordering compares code points, so "Đống Đa" sorts after "Xuân Mai" and
"Phường 10" before "Phường 2". Vietnamese dictionaries order letters as
a ă â b c d đ e ê g h i k l m n o ô ơ p q r s t u ư v x y, compare the letters first and the
tones only to break ties (không dấu, huyền, hỏi, ngã, sắc, nặng); numbers inside names are
compared as numbers. Search folds both sides the same way, so "dong da" finds "Đống Đa".
"""
from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterable
from typing import TypeVar

T = TypeVar("T")

ALPHABET = "aăâbcdđeêghiklmnoôơpqrstuưvxy"
_LETTER = {ch: i for i, ch in enumerate(ALPHABET)}
# Foreign letters (f, j, w, z) sort after the Vietnamese ones, in Latin order.
_LETTER.update({ch: len(ALPHABET) + i for i, ch in enumerate("fjwz")})
TONES = ("\u0300", "\u0309", "\u0303", "\u0301", "\u0323")  # huyền, hỏi, ngã, sắc, nặng (0 = không dấu)
_TONE = {mark: i + 1 for i, mark in enumerate(TONES)}
_TOKEN = re.compile(r"\d+|\s+|.", re.S)


def _split(ch: str) -> tuple[str, int]:
    """A letter without its tone (vowel marks kept: ă â ê ô ơ ư) and the tone's rank."""
    decomposed = unicodedata.normalize("NFD", ch)
    tone = 0
    kept = []
    for part in decomposed:
        if part in _TONE:
            tone = _TONE[part]
        else:
            kept.append(part)
    return unicodedata.normalize("NFC", "".join(kept)), tone


def sort_key(text: str | None) -> tuple:
    """A key that orders names as a Vietnamese reader expects (case-insensitive, numbers as numbers)."""
    primary: list[tuple[int, int]] = []
    tones: list[int] = []
    for token in _TOKEN.findall(unicodedata.normalize("NFC", (text or "").strip().lower())):
        if token.isdigit():
            primary.append((1, int(token)))
        elif token.isspace():
            primary.append((0, 0))
        else:
            base, tone = _split(token)
            if base in _LETTER:
                primary.append((2, _LETTER[base]))
            else:  # punctuation and other scripts: after the letters, by code point
                primary.append((3, ord(base[:1] or " ")))
            tones.append(tone)
    return tuple(primary), tuple(tones), text or ""


def sorted_by_name(items: Iterable[T], name: Callable[[T], str | None]) -> list[T]:
    """``items`` in Vietnamese dictionary order of ``name(item)``."""
    return sorted(items, key=lambda item: sort_key(name(item)))


def fold(text: str | None) -> str:
    """Lower case without diacritics (đ → d), spaces collapsed: the form both sides of a search take."""
    decomposed = unicodedata.normalize("NFD", (text or "").replace("đ", "d").replace("Đ", "D"))
    bare = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return " ".join(bare.lower().split())


def matches(query: str | None, *texts: str | None) -> bool:
    """Whether every word of ``query`` occurs in one of ``texts``, ignoring case and diacritics."""
    words = fold(query).split()
    haystack = " ".join(fold(t) for t in texts)
    return all(word in haystack for word in words)
