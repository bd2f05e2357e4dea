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
_lock = threading.Lock()
_vectors: dict[str, object] = {}


@functools.cache
def _model():
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
    return _model() is not None


def similarities(question: str, texts: Sequence[str]) -> list[float]:
    """Cosine similarity of the question to each text (0 for all without the model)."""
    model = _model()
    if model is None or not texts:
        return [0.0] * len(texts)
    with _lock:
        missing = list(dict.fromkeys(t for t in texts if t not in _vectors))
        if missing:
            if len(_vectors) + len(missing) > CACHE_SIZE:
                _vectors.clear()
            for text, vector in zip(
                missing, model.embed([t[:MAX_CHARS] for t in missing], norm=True), strict=True
            ):
                _vectors[text] = vector
        asked = model.embed([question[:MAX_CHARS]], norm=True)[0]
        return [float(_vectors[t] @ asked) for t in texts]
