"""Optional embeddings (any client with the openai `.embeddings.create` API) for hybrid ranking."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

DEFAULT_MODEL = "text-embedding-3-small"
BATCH_SIZE = 64
MAX_INPUT_CHARS = 8000


class Embedder:
    """Turns texts into vectors with an openai-compatible client; off unless one is given."""

    def __init__(self, client: Any, model: str = DEFAULT_MODEL) -> None:
        self.client = client
        self.model = model

    def embed(self, texts: Sequence[str]) -> list[list[float]]:
        """One vector per text, in order, requested in batches."""
        vectors: list[list[float]] = []
        for start in range(0, len(texts), BATCH_SIZE):
            batch = [text[:MAX_INPUT_CHARS] or " " for text in texts[start : start + BATCH_SIZE]]
            answer = self.client.embeddings.create(model=self.model, input=batch)
            ordered = sorted(answer.data, key=lambda item: getattr(item, "index", 0))
            if len(ordered) != len(batch):
                raise ValueError("the embeddings service returned the wrong number of vectors")
            vectors.extend([float(x) for x in item.embedding] for item in ordered)
        return vectors

    def embed_one(self, text: str) -> list[float]:
        """The vector of a single text."""
        return self.embed([text])[0]


def cosine(a: Sequence[float] | None, b: Sequence[float] | None) -> float:
    """Cosine similarity in [-1, 1]; 0 when either vector is missing, empty or mismatched."""
    if not a or not b or len(a) != len(b):
        return 0.0
    dot = sum(x * y for x, y in zip(a, b, strict=True))
    norm = math.sqrt(sum(x * x for x in a)) * math.sqrt(sum(y * y for y in b))
    return dot / norm if norm else 0.0


def blend(
    text_scores: Sequence[float], similarities: Sequence[float], weight: float
) -> list[float]:
    """Mix text scores (scaled to 0..1 by the best one) with similarities by `weight`."""
    best = max(text_scores, default=0.0) or 1.0
    return [
        (1.0 - weight) * (score / best) + weight * max(similarity, 0.0)
        for score, similarity in zip(text_scores, similarities, strict=True)
    ]
