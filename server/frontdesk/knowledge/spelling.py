"""Visitors' typos and split or joined words, read against the words the site's pages use.

A question word no indexed passage holds ("apointment", "handbuilt") is looked up in the
full-text vocabulary (SQLite FTS5's vocabulary table, migration 0003): a word one edit away
(two for long words; a swap of neighbouring letters is one edit) that the pages do use is
taken as what was meant, and a word that is two indexed words run together ("handbuilt" /
"hand-built") as that phrase. Only unknown words of five letters or more are looked at, so a
correctly spelled question costs nothing.
"""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from frontdesk.knowledge.index_cache import kept
from frontdesk.knowledge.question import Concept, Question
from frontdesk.knowledge.semantic import loaded

MIN_LENGTH = 6
LONG = 8  # letters from which two edits are allowed
MAX_UNKNOWN = 3  # words looked up per question
MAX_TERMS = 2000  # vocabulary terms read per word at most
TYPO_STRENGTH = 0.6  # a guess at what was meant: it finds the passage, it decides less


def corrections(session: Session, unknown: list[str]) -> dict[str, tuple[tuple[str, ...], int]]:
    """{unknown stem: (the indexed stem or two-stem phrase meant, passages holding it)}."""
    out: dict[str, tuple[tuple[str, ...], int]] = {}
    for word in [w for w in unknown if len(w) >= MIN_LENGTH and w.isalpha()][:MAX_UNKNOWN]:
        try:
            terms = _terms_near(session, word)
        except OperationalError:  # no vocabulary table: nothing to correct against
            return out
        found = _closest(word, terms) or _split(word, terms, session)
        if found:
            out[word] = found
    return out


def _terms_near(session: Session, word: str) -> dict[str, int]:
    """Indexed terms sharing the word's first letter and close to its length."""
    letter = _letter_terms(session, word[0])
    near = {t: docs for t, docs in letter.items() if 2 <= len(t) <= len(word) + 2}
    return dict(list(near.items())[:MAX_TERMS])


def _letter_terms(session: Session, letter: str) -> dict[str, int]:
    """Every indexed term starting with the letter, with the passages holding it.

    Counting a term's passages walks its whole list in the index (3-7 ms for a letter's few
    hundred terms on 10,000 passages), so a letter's terms are kept until the index changes
    (knowledge.index_cache).
    """
    return kept(session, f"letter:{letter}", lambda s: _read_letter(s, letter))


def _read_letter(session: Session, letter: str) -> dict[str, int]:
    rows = session.execute(
        text("SELECT term, doc FROM chunks_fts_vocab WHERE term >= :low AND term < :high"),
        {"low": letter, "high": chr(ord(letter) + 1)},
    ).all()
    return dict(rows)


def _closest(word: str, terms: dict[str, int]) -> tuple[tuple[str, ...], int] | None:
    allowed = 2 if len(word) >= LONG else 1
    best: tuple[int, int, str] | None = None
    letters = set(word)
    for term, docs in terms.items():
        if abs(len(term) - len(word)) > allowed or len(term) < MIN_LENGTH - 1:
            continue
        # Each letter one word has and the other lacks takes an edit (a swap moves none): a
        # bound that rules out most of the vocabulary before the full count, in C.
        other = set(term)
        if len(letters - other) > allowed or len(other - letters) > allowed:
            continue
        distance = edits(word, term, allowed)
        if distance <= allowed and (best is None or (distance, -docs) < best[:2]):
            best = (distance, -docs, term)
    return ((best[2],), -best[1]) if best else None


def _split(word: str, terms: dict[str, int], session: Session):
    """ "handbuilt": two indexed words run together, the first starting as the word does."""
    for cut in range(3, len(word) - 1):
        head, tail = word[:cut], word[cut:]
        if head not in terms:
            continue
        docs = session.execute(
            text("SELECT doc FROM chunks_fts_vocab WHERE term = :t"), {"t": tail}
        ).scalar()
        if docs:
            return (head, tail), min(docs, terms[head])
    return None


def is_word(word: str) -> bool:
    """Whether the word vectors' tokenizer knows the word whole (typos come out in pieces)."""
    vectors = loaded()
    if vectors is None:
        return False
    return len(vectors.tokenizer.encode(word.lower(), add_special_tokens=False).ids) == 1


def edits(a: str, b: str, limit: int) -> int:
    """Optimal string alignment distance (insert, delete, replace, swap), or limit + 1 past it."""
    previous2: list[int] = []
    previous = list(range(len(b) + 1))
    for i, x in enumerate(a, start=1):
        current = [i] + [0] * len(b)
        for j, y in enumerate(b, start=1):
            cost = 0 if x == y else 1
            current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
            if i > 1 and j > 1 and x == b[j - 2] and a[i - 2] == y:
                current[j] = min(current[j], previous2[j - 2] + 1)
        if min(current) > limit:
            return limit + 1
        previous2, previous = previous, current
    return previous[-1]


def correct(session: Session, question: Question, corpus: tuple[int, dict[str, int]]) -> list[str]:
    """Add what was meant to the question's concepts whose words no passage holds; returns the
    stems to search for too. `corpus` (passages, {stem: passages holding it}) is updated."""
    docs = corpus[1]
    unknown = {}
    for concept in question.concepts:
        own = [form[0] for form, strength in concept.forms.items() if strength >= 1.0]
        if len(own) == 1 and len(concept.forms) == 1 and not docs.get(own[0]):
            unknown[own[0]] = concept
    fixes = corrections(session, list(unknown))
    added: list[str] = []
    for stem, (meant, held) in fixes.items():
        if len(meant) == 1 and is_word(unknown[stem].label):
            continue  # "painting" is no typo of "pain": a word the vocabulary knows whole
        old = unknown[stem]
        new = Concept(old.label, {**old.forms, meant: TYPO_STRENGTH}, old.weight, old.cue)
        question.concepts[question.concepts.index(old)] = new
        question.required = [new if c is old else c for c in question.required]
        for part in meant:
            docs.setdefault(part, held)
        added += meant
    return added
