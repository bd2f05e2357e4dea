"""The per-language vocabulary of visitors' questions: words, stems, filler, aspects, synonyms.

The words live in `lexicon/<language>.toml`, a small file anyone can review; this module
tokenises and stems (Snowball, the algorithm PostgreSQL's text search uses too) and indexes
the file's phrases by their stems so a question can be expanded in a few dictionary lookups.
"""

from __future__ import annotations

import functools
import re
import tomllib
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import snowballstemmer

from frontdesk.knowledge.query import STOP_WORDS

FOLDER = Path(__file__).parent / "lexicon"
DEFAULT_LANGUAGE = "en"
# Words, and numbers written with thousands separators or decimals ("1,450", "1.5").
TOKEN = re.compile(r"\d[\d,]*(?:\.\d+)?|[^\W\d_]+(?:['’][^\W\d_]+)*|\d+")


def fold(text: str) -> str:
    """Accents taken off, as visitors type and as the full-text index stores words ("cafe" /
    "café", "maori" / "Māori")."""
    if text.isascii():
        return text
    spread = unicodedata.normalize("NFKD", text)
    return unicodedata.normalize("NFC", "".join(c for c in spread if not unicodedata.combining(c)))


Phrase = tuple[str, ...]
CONTRACTED = frozenset({"s", "re", "ll", "d", "ve", "m"})  # where's, you're, we'll, I'd...
PARTICLES = frozenset({"up", "out", "in", "on", "off", "over", "back", "down", "away", "about"})


@dataclass(frozen=True)
class Aspect:
    """A kind of fact (price, hours...): phrases that ask for it, words that state it."""

    name: str
    cues: tuple[Phrase, ...]  # say only "this kind of fact": used up
    hints: tuple[Phrase, ...]  # say it and name a topic: kept as a concept too
    words: tuple[Phrase, ...]
    search: tuple[str, ...] = ()  # words pages stating it use ("street", "floor"): searched only


@dataclass
class Lexicon:
    """One language's stemmer, filler words, aspects and synonym groups (all stemmed)."""

    language: str
    stem: Callable[[str], str]
    filler: frozenset[str]
    stop: frozenset[str]
    itself: frozenset[str]  # stems of words for the business itself
    generic: frozenset[str]  # stems of words for a visit in general (they weigh half)
    aspects: tuple[Aspect, ...]
    groups: tuple[tuple[Phrase, ...], ...]
    by_phrase: dict[Phrase, list[int]] = field(default_factory=dict)
    respell: dict[str, str] = field(default_factory=dict)
    longest: int = 1
    verbs: frozenset[str] = frozenset()  # stems of "do you ___ X?" verbs: X is what is asked
    single: frozenset[str] = frozenset()  # stems of the one-word entries and cues
    cue_words: frozenset[str] = frozenset()  # every word of every cue and hint, as written
    written: frozenset[str] = frozenset()  # the one-word entries and cues, as written
    days: frozenset[str] = frozenset()  # stems of day names: "and friday?" replaces "monday"

    def words(self, text: str) -> list[str]:
        """Lower-case tokens, numbers without commas; contractions undone ("where's" -> where,
        "can't" -> can not) and common ways of typing them without the apostrophe respelled."""
        out: list[str] = []
        for token in TOKEN.findall(fold(text.lower())):
            if token[0].isdigit():
                out.append(token.replace(",", "").rstrip("."))
                continue
            base, _, ending = token.replace("’", "'").partition("'")
            if ending == "t" and base.endswith("n"):
                out += [self.respell.get(base[:-1], base[:-1]), "not"]
            elif ending:
                out.append(base if ending in CONTRACTED else f"{base}{ending}")
            else:
                out += self.respell.get(base, base).split()
        return out

    def stems(self, text: str) -> list[str]:
        """The stems of a text's words, in order."""
        return [self.stem(word) for word in self.words(text)]

    def joined(self, words: list[str]) -> list[str]:
        """Words with a split compound typed back together when the lexicon knows it as one
        ("where abouts" -> "whereabouts", "wheel chair" -> "wheelchair"), unless both halves are
        entries of their own."""
        out: list[str] = []
        for word in words:
            joined = out[-1] + word if out else ""
            # as written, not as stemmed: "for me" is no "forme" (stemmed "form")
            known = joined in self.written or joined[-1:] == "s" and joined[:-1] in self.written
            # "contract or" is no "contractor", "we are" no "wear": a stop word ends no
            # compound unless it is a verb's particle ("check up", "walk in").
            known = known and (word not in self.stop or word in PARTICLES)
            if known and not (self.stem(word) in self.single and self.stem(out[-1]) in self.single):
                out[-1] += word
            else:
                out.append(word)
        return out

    def phrase(self, text: str) -> Phrase:
        """A lexicon entry as stems."""
        return tuple(self.stems(text))

    def ignorable(self, stem: str, word: str) -> bool:
        """Stop words, chat filler and stray letters say nothing about the topic."""
        if word[0].isdigit():
            return False
        return word in self.stop or stem in self.filler or word in self.filler or len(word) < 2

    def synonyms(self, phrase: Phrase) -> list[Phrase]:
        """Every phrase sharing a group with this one (itself first), in the file's order.

        An order, not a set: searches take the first few, and must take the same ones on
        every run.
        """
        found = {phrase: None}
        for index in self.by_phrase.get(phrase, ()):
            found.update(dict.fromkeys(self.groups[index]))
        return list(found)


def _stemmer(name: str) -> Callable[[str], str]:
    algorithm = snowballstemmer.stemmer(name)
    # Visitors and pages reuse the same few thousand words: stem each one once.
    return functools.lru_cache(maxsize=50_000)(algorithm.stemWord)


@functools.cache
def lexicon(language: str = DEFAULT_LANGUAGE) -> Lexicon:
    """The lexicon for a language code ("en", "en-GB"), or the default one when there is none."""
    code = (language or DEFAULT_LANGUAGE).split("-")[0].lower()
    path = FOLDER / f"{code}.toml"
    if not re.fullmatch(r"[a-z]{2,3}", code) or not path.exists():
        path = FOLDER / f"{DEFAULT_LANGUAGE}.toml"
        code = DEFAULT_LANGUAGE
    raw = tomllib.loads(path.read_text(encoding="utf-8"))
    stem = _stemmer(raw.get("stemmer", "english"))
    lex = Lexicon(
        language=code,
        stem=stem,
        filler=frozenset(),
        stop=frozenset(STOP_WORDS) if code == "en" else frozenset(raw.get("stop", [])),
        itself=frozenset(stem(w) for w in raw.get("itself", [])),
        generic=frozenset(stem(w) for w in raw.get("generic", [])),
        verbs=frozenset(stem(w) for w in raw.get("verbs", [])),
        days=frozenset(stem(w) for w in raw.get("days", [])),
        aspects=(),
        groups=(),
    )
    lex.respell = dict(raw.get("respell", {}))
    lex.filler = frozenset(stem(w) for w in raw.get("filler", [])) | frozenset(
        raw.get("filler", [])
    )
    lex.aspects = tuple(
        Aspect(
            name,
            # Cues are matched as written: "opened" is no question about opening hours.
            tuple(tuple(lex.words(cue)) for cue in spec.get("cues", [])),
            tuple(tuple(lex.words(hint)) for hint in spec.get("hints", [])),
            tuple(lex.phrase(word) for word in spec.get("words", [])),
            tuple(spec.get("search", [])),
        )
        for name, spec in raw.get("aspect", {}).items()
    )
    lex.groups = tuple(tuple(lex.phrase(item) for item in group) for group in raw.get("groups", []))
    for index, group in enumerate(lex.groups):
        for phrase in group:
            lex.by_phrase.setdefault(phrase, []).append(index)
    phrases = [p for group in lex.groups for p in group] + [
        p for aspect in lex.aspects for p in aspect.cues
    ]
    lex.cue_words = frozenset(
        w for aspect in lex.aspects for p in aspect.cues + aspect.hints for w in p
    )
    lex.single = frozenset(p[0] for p in phrases if len(p) == 1) | frozenset(
        stem(p[0]) for aspect in lex.aspects for p in aspect.cues if len(p) == 1
    )
    lex.written = frozenset(
        w.lower()
        for w in [*(i for g in raw.get("groups", []) for i in g), *_cues(raw)]
        if w.isalpha()
    )
    lex.longest = max((len(p) for p in phrases), default=1)
    return lex


def _cues(raw: dict) -> list[str]:
    return [c for spec in raw.get("aspect", {}).values() for c in spec.get("cues", [])]
