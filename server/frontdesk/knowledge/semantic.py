"""A small local sense of meaning: how close a question and a sentence are, by word vectors.

WordLlama (PyPI `wordllama`) ships its 16 MB of static token vectors inside the package and
needs neither a network nor a deep-learning framework: a text's vector is the mean of its
tokens' vectors, so "is it wheelchair friendly" comes near "step-free access" although no word
is shared. It is one signal beside the lexicon's, never the only one. Without the package,
every similarity is 0 and ranking is purely lexical.
"""

from __future__ import annotations

import functools
import logging
import threading
from collections.abc import Sequence
from pathlib import Path

log = logging.getLogger(__name__)
CACHE_SIZE = 50_000  # texts: candidate passages come back question after question
MAX_CHARS = 600
SEM_FROM = 0.2  # closeness below this says nothing
SEM_COVER = 0.5  # share of the closeness above SEM_FROM added to a unit's coverage
# Weight of the closeness above SEM_FROM added to a unit's score (times the mean concept
# weight), letting meaning reorder the best units: 0, the words alone decide the order.
SEM_ORDER = 0.0
_lock = threading.Lock()
_vectors: dict[str, object] = {}
_last: dict[str, object] = {}  # the last question's vector


@functools.cache
def loaded():
    """The bundled model, loaded once on first use (never at import), or None."""
    try:
        import wordllama
        from wordllama import WordLlama
    except ImportError:  # an install without it: lexical ranking only
        return None
    folder = Path(wordllama.__file__).parent  # weights/ and tokenizers/ ship in the package
    try:
        return WordLlama.load(cache_dir=folder, disable_download=True)
    except (FileNotFoundError, OSError) as error:
        log.warning("wordllama's bundled model could not be loaded: %s", error)
        return None


def available() -> bool:
    """Whether the vectors are there (the package installed with its weights)."""
    return loaded() is not None


def similarities(question: str, texts: Sequence[str]) -> list[float]:
    """Cosine similarity of the question to each text (0 for all without the model)."""
    model = loaded()
    if model is None or not texts:
        return [0.0] * len(texts)
    with _lock:
        if len(_vectors) + len(texts) > CACHE_SIZE:
            _vectors.clear()
        # The question's vector is kept for its next comparison only: a question that falls
        # back on the site's facts is compared twice, pages then facts.
        asked = _last.get(question)
        if asked is None:
            _last.clear()
            asked = _last[question] = _vector(model, question)
        out = []
        for text in texts:
            vector = _vectors.get(text)
            if vector is None:
                vector = _vectors[text] = _vector(model, text)
            out.append(float(vector @ asked))
        return out


def add_meaning(
    question: str, top: list, bases: dict[int, tuple[float, float]], mean: float = 1.0
) -> bool:
    """Raise the coverage of the best scored units by their closeness in meaning to the question.

    Above SEM_FROM, half the excess is added to the coverage a unit's words reached (`bases`:
    id(unit) -> (coverage by words, floor)), so a paraphrase's answer ("wheelchair friendly" /
    "step-free access") can be said with confidence. With SEM_ORDER above 0 the closeness
    adds to their score too (`mean`: the question's mean concept weight); returns whether it
    did, so the caller sorts again. Only the units whose coverage is read are embedded.
    """
    texts = [
        u.text if u.kind == "heading" else f"{u.heading}. {u.text} {u.context}"
        for u in (item.unit for item in top)
    ]
    for item, closeness in zip(top, similarities(question, texts), strict=True):
        base, floor = bases[id(item.unit)]
        excess = max(0.0, closeness - SEM_FROM)
        item.coverage = max(min(1.0, base + SEM_COVER * excess), floor)
        item.score += SEM_ORDER * mean * excess
    return SEM_ORDER > 0 and bool(top)


def _vector(model, text: str):
    """The text's unit vector: the mean of its tokens' vectors, as WordLlama.embed computes
    it, but one text at a time (its batch call starts a thread pool, slow on a busy host)."""
    encoded = model.tokenizer.encode(text[:MAX_CHARS], add_special_tokens=False)
    ids = [i for i, mask in zip(encoded.ids, encoded.attention_mask, strict=True) if mask]
    if not ids:
        return model.embedding[0] * 0.0
    vector = model.embedding[[min(i, len(model.embedding) - 1) for i in ids]].mean(axis=0)
    norm = float((vector @ vector) ** 0.5)
    return vector / norm if norm else vector
