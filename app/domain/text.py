"""Text helpers for search: pinyin initials of Chinese names (个体工商户 → gtgsh)."""

from __future__ import annotations

from pypinyin import Style, lazy_pinyin


def pinyin_initials(text: str | None) -> str:
    """Lower-case initials of each character's pinyin; other characters are dropped."""
    if not text:
        return ""
    letters = lazy_pinyin(text, style=Style.FIRST_LETTER, errors="ignore")
    return "".join(ch for ch in "".join(letters).lower() if ch.isalnum())
