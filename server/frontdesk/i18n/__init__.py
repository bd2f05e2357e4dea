"""The visitor's language: which of our reviewed languages a `lang` tag gets, and the words the
server writes to visitors in it (strings/<code>.json, one small file per language).

A tag falls back by its base language ("fr-CA" -> "fr", "pt_BR" -> "pt"), then to English; a
word missing from a language's file is the English one. The widget's own chrome has its own
files (widget/strings/), resolved by the same chain in the browser.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path

FOLDER = Path(__file__).with_name("strings")
DEFAULT = "en"


@cache
def languages() -> frozenset[str]:
    """The language codes we have reviewed words for (the names of strings/*.json)."""
    return frozenset(path.stem for path in FOLDER.glob("*.json"))


def resolve(tag: str | None) -> str:
    """The language to speak to a visitor whose `lang` is `tag`: the whole tag when we have it
    ("pt-br" if there were such a file), else its base language, else English."""
    parts = (tag or "").strip().lower().replace("_", "-").split("-")
    candidates = ["-".join(parts[:n]) for n in range(len(parts), 0, -1)]
    return next((code for code in candidates if code in languages()), DEFAULT)


@cache
def _table(code: str) -> dict[str, str]:
    """A language's words over the English ones, so a missing word is never a missing key."""
    words = _read(DEFAULT)
    return words if code == DEFAULT else {**words, **_read(code)}


def _read(code: str) -> dict[str, str]:
    data = json.loads((FOLDER / f"{code}.json").read_text("utf-8"))
    if not isinstance(data, dict) or not all(isinstance(v, str) for v in data.values()):
        raise ValueError(f"i18n/strings/{code}.json must map names to strings")
    return data


def text(lang: str | None, name: str, /, **values: str) -> str:
    """One of our sentences in the visitor's language, with its `{placeholders}` filled."""
    words = _table(resolve(lang))[name]
    return words.format(**values) if values else words


def is_english(lang: str | None) -> bool:
    """True when a visitor with this `lang` reads English (or a language we have no words for)."""
    return resolve(lang) == DEFAULT


def english_equivalent(said: str) -> str | None:
    """The English words of a chip we wrote in another language ("Je voudrais parler à une
    personne" -> "I'd like to talk to a person"), so an English-only engine understands it."""
    return _english_chips().get(said.strip().casefold())


@cache
def _english_chips() -> dict[str, str]:
    """Every chip value we wrote in another language (casefolded) to its English words: read
    once, not every language's every word for each message."""
    out: dict[str, str] = {}
    for code in languages() - {DEFAULT}:
        for name, words in _table(code).items():
            if name.endswith("Value"):
                out.setdefault(words.casefold(), _table(DEFAULT)[name])
    return out
