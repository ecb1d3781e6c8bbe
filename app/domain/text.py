"""Text helpers for search: pinyin of Chinese names, as people type them at the desk.

个体工商户 → initials ``gtgsh``, full pinyin ``getigongshanghu``; a query mixing both
(``di保``) becomes ``dibao`` before it is compared.
"""

from __future__ import annotations

import re

from pypinyin import Style, lazy_pinyin

_NOT_ALNUM = re.compile(r"[^0-9a-z]+")


def pinyin_initials(text: str | None) -> str:
    """Lower-case initials of each character's pinyin; other characters are dropped."""
    if not text:
        return ""
    letters = lazy_pinyin(text, style=Style.FIRST_LETTER, errors="ignore")
    return "".join(ch for ch in "".join(letters).lower() if ch.isalnum())


def pinyin_full(text: str | None) -> str:
    """Lower-case full pinyin without tones: the syllables of a word run together and words
    (split at spaces and punctuation) are separated by one space (``低保 救助`` → ``dibao jiuzhu``).
    Latin letters and digits are kept. The copy in migrations/versions/0011_desk.py must agree."""
    if not text:
        return ""
    syllables = lazy_pinyin(text, style=Style.NORMAL, errors="default")
    joined = "".join(syllables).lower().replace("ü", "v")
    return _NOT_ALNUM.sub(" ", joined).strip()


def pinyin_query(text: str | None) -> str:
    """A search query as pinyin letters: Chinese characters become their pinyin, everything but
    letters and digits is dropped (``di保`` → ``dibao``, ``shen fen zheng`` → ``shenfenzheng``)."""
    return pinyin_full(text).replace(" ", "")
