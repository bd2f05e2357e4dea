"""Knowledge answers for the offline engine: the most relevant sentences, with their source.

Without a model there is no summarising, so the answer is quoted: the sentence of the found
passages that shares most words with the question, and what follows it, up to a short length.
Passage text is untrusted page content; it is only ever shown, never acted upon.
"""

from __future__ import annotations

import re

from frontdesk.assistant.offline.dialogue import BOOK, HUMAN, Dialogue, Reply
from frontdesk.knowledge.query import search_terms

ANSWER_CHARS = 400
PASSAGES = 3
SENTENCE_END = re.compile(r"(?<=[.!?])\s+")
# Price questions rarely share words with the answer ("how much?" / "from AUD 4,800").
ASKS_PRICE = re.compile(
    r"\b(?:cost|costs|price|prices|pricing|how much|fees?|charge|rates?)\b", re.I
)
STATES_PRICE = re.compile(
    r"[$€£¥]\s?\d|\b(?:aud|usd|eur|gbp|nzd|cad|chf)\b|\b(?:price|cost|fee)s?\b|\bfree\b", re.I
)
NOT_FOUND = (
    "I'm sorry, I couldn't find anything about that on our site, so I don't want to guess. "
    "I've passed your question to the team. I can book a consultation, or get a person to help."
)


def answer(d: Dialogue, text: str) -> Reply:
    """The best knowledge-base excerpt as a short answer citing its page; honest when none."""
    result = d.tool("search_knowledge", query=text[:300], limit=PASSAGES)
    passages = result.content.get("untrusted_passages", []) if result.ok else []
    if not passages:
        return Reply(NOT_FOUND, [BOOK, HUMAN])
    terms = search_terms(text)
    best, excerpt, matched = best_excerpt(passages, terms, price=bool(ASKS_PRICE.search(text)))
    url = safe_url(best.get("url", ""))
    link = f"[{plain(best['title'])}]({url})" if url else plain(best["title"])
    source = [src for src in result.sources if src.url == best.get("url")][:1]
    sources = source or result.sources[:1]
    if matched < min(2, len(terms)):  # only a generic word in common: don't pass it off
        weak = f"I couldn't find a clear answer to that on our site. The closest page is {link}."
        return Reply(weak, [HUMAN, BOOK], sources=sources)
    return Reply(f"{excerpt}\n\nMore: {link}", [BOOK, HUMAN], sources=sources)


def best_excerpt(
    passages: list[dict], terms: list[str], *, price: bool = False
) -> tuple[dict, str, int]:
    """The passage and excerpt (from its best-matching sentence on) that answer the question."""
    best: tuple[float, int, int, int, int] | None = None
    for rank, passage in enumerate(passages):
        for index, (heading, sentence) in enumerate(_sentences(passage)):
            # A section's heading counts for its sentences ("What an AI integration involves").
            said = f"{heading} {sentence}"
            matched = _matches(said, terms) + (price and bool(STATES_PRICE.search(sentence)))
            # Earlier passages and earlier sentences win ties: the search ranked them first.
            score = (matched - rank * 0.25, -index)
            if best is None or score > best[:2]:
                best = (*score, rank, index, matched)
    assert best is not None  # passages is never empty here
    rank, index, matched = best[2], best[3], best[4]
    passage = passages[rank]
    following = _sentences(passage)[index:]
    section = following[0][0]
    excerpt = excerpt_from([s for h, s in following if h == section])
    if section.endswith("?"):  # a FAQ answer ("Yes, ...") needs its question to make sense
        excerpt = f"**{plain(section)}** {excerpt}"
    return passage, excerpt, matched


def _sentences(passage: dict) -> list[tuple[str, str]]:
    return sentences_of(passage["text"], passage.get("heading", ""))


def sentences_of(text: str, heading: str = "") -> list[tuple[str, str]]:
    """(section heading, sentence) pairs; short lines without a full stop are headings."""
    out: list[tuple[str, str]] = []
    for line in text.splitlines():
        line = line.strip().lstrip("#").strip()
        if not line:
            continue
        if _is_heading(line):
            heading = line
            continue
        out.extend((heading, sentence) for sentence in SENTENCE_END.split(line) if sentence)
    return out or [(heading, text.strip())]


def _is_heading(line: str) -> bool:
    # A short line without a full stop, or a question on its own line (a FAQ entry).
    short_title = len(line) <= 80 and not line.endswith((".", "!", "?", ":"))
    return short_title or (len(line) <= 160 and line.endswith("?"))


def _matches(sentence: str, terms: list[str]) -> int:
    words = re.findall(r"[^\W_]+", sentence.lower())
    # A shared stem is enough: "involve" finds "involves", "sites" finds "websites".
    stems = [term[: max(4, len(term) - 2)] for term in terms]
    return sum(1 for stem in stems if any(_shares(word, stem) for word in words))


def _shares(word: str, stem: str) -> bool:
    return word.startswith(stem) or (len(stem) >= 4 and stem in word)


def excerpt_from(sentences: list[str]) -> str:
    """Sentences from the first on, at most about ANSWER_CHARS characters."""
    out = ""
    for sentence in sentences:
        if out and len(out) + len(sentence) > ANSWER_CHARS:
            break
        out = f"{out} {sentence}".strip()
    if len(out) > ANSWER_CHARS:
        out = out[: ANSWER_CHARS - 1].rsplit(" ", 1)[0] + "…"
    return out


def plain(title: str) -> str:
    """A page title safe inside markdown link text (it is untrusted)."""
    return re.sub(r"[\[\]()<>`*_]", "", title)[:120] or "source"


def safe_url(url: str) -> str:
    """An http(s) link safe to put in markdown, or "" (the renderer sanitizes again)."""
    if not re.match(r"^https?://[^\s<>]+$", url or ""):
        return ""
    return url.replace("(", "%28").replace(")", "%29")
