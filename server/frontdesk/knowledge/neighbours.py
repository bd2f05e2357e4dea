"""Words of the candidate passages near in meaning to a question word they never use.

"is there a woman instructor?" when the site says "a female instructor": the lexicon has no
group for every pair, but the word vectors (knowledge.semantic) put "woman" next to "female"
and "lady". A question word none of the candidates holds is matched, weakly, by the
candidates' words whose vectors are closest to its own; only words the vectors know whole
(one token) are compared, looked up by token, so nothing is encoded or embedded per question.
"""

from __future__ import annotations

import re
from dataclasses import replace

from frontdesk.knowledge.concepts import Concept, Question
from frontdesk.knowledge.lexicon import Lexicon
from frontdesk.knowledge.said import probe
from frontdesk.knowledge.semantic import loaded

NEAR = 0.65  # cosine of two words' vectors from which one may stand for the other
STRENGTH = 0.7  # as strong as a synonym of the lexicon
MOST = 2  # neighbours taken per question word
WORD = re.compile(r"[a-z]{4,}")


def widen(question: Question, texts: list[str], lex: Lexicon) -> None:
    """Give each question word the candidates never use the candidates' words nearest it."""
    raw = " ".join(texts).lower()
    missing = [i for i, c in enumerate(question.concepts) if _absent(c, raw)]
    model = loaded() if missing else None
    if model is None:
        return
    vocabulary = [w for w in dict.fromkeys(WORD.findall(raw)) if w not in lex.stop]
    rows = {w: row for w in vocabulary if (row := _row(model, w)) >= 0}
    if not rows:
        return
    import numpy

    known = list(rows)
    matrix = model.embedding[list(rows.values())]
    matrix = matrix / numpy.linalg.norm(matrix, axis=1, keepdims=True)
    for i in missing:
        concept = question.concepts[i]
        row = _row(model, concept.label)
        if row < 0:
            continue
        vector = model.embedding[row]
        closeness = matrix @ (vector / numpy.linalg.norm(vector))
        best = numpy.argsort(-closeness, kind="stable")[:MOST]
        forms = dict(concept.forms)
        for j in best:
            stem = lex.stem(known[j])
            if closeness[j] >= NEAR and (stem,) not in forms:
                forms[(stem,)] = STRENGTH
        if len(forms) > len(concept.forms):
            near = concept.near.union(f for f in forms if f not in concept.forms)
            wider = question.concepts[i] = replace(concept, forms=forms, near=near)
            question.required = [wider if c is concept else c for c in question.required]


def _absent(concept: Concept, raw: str) -> bool:
    """A one-word concept in the visitor's own word that no candidate holds, even in part."""
    if concept.cue or " " in concept.label or not concept.label.isalpha():
        return False
    return not any(
        probe(word) in raw for form in concept.forms for word in form if word and probe(word)
    )


def _row(model, word: str) -> int:
    """The vectors' row of a word the tokenizer holds whole (with its leading space), else -1."""
    # A dictionary lookup in the tokenizer (~0.1 µs): not worth a cache that grows with every
    # word of every site's pages.
    found = model.tokenizer.token_to_id("▁" + word)
    return found if found is not None and found < len(model.embedding) else -1
