"""Two or three questions in one message ("where are you and is there parking?").

Searched as one, the parts compete: the better-matched part wins and the other goes
unanswered, or neither scores clearly and the visitor hears "I couldn't find it". Each part is
looked up on its own instead; the parts found are said, and the parts not found are named, so
the visitor knows which one the team will answer.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from frontdesk.assistant.offline.dialogue import Reply

ASKS = r"(?:what|how|why|when|where|who|which|do|does|did|is|are|can|could|will|would|should)\b"
# "... and is there ...", "...? And where ...", "...; how ...": a new question starting.
JOIN = re.compile(rf"\s*[?,;]?\s*\band\s+(?:also\s+)?(?={ASKS})|\?\s+(?=\S)|;\s*(?={ASKS})", re.I)
STARTS = re.compile(rf"^\s*{ASKS}", re.I)
MISSING = "I couldn't find anything on our site about “{part}”; I've passed that to the team."

Lookup = Callable[[str, str], tuple[Reply, bool]]


def parts(text: str) -> list[str]:
    """The message's questions when it asks two or three, each a question of its own; else []."""
    pieces = [piece.strip(" ?,;.!") for piece in JOIN.split(text)]
    pieces = [piece for piece in pieces if piece]
    if not 2 <= len(pieces) <= 3:
        return []
    if all(STARTS.match(piece) and len(piece.split()) >= 2 for piece in pieces):
        return pieces
    return []


def answer_each(questions: list[str], lookup: Lookup) -> Reply | None:
    """One reply saying each part's answer and naming the parts not found; None if none found."""
    # A later part is read with the first as context ("how much is it and how long does it take").
    found = [lookup(part, questions[0] if index else "") for index, part in enumerate(questions)]
    if not any(confident for _, confident in found):
        return None
    said: list[str] = []
    sources = []
    for part, (reply, confident) in zip(questions, found, strict=True):
        text = reply.text if confident else MISSING.format(part=part)
        if text not in said:
            said.append(text)
        sources += [source for source in reply.sources if source not in sources]
    first = next(reply for reply, confident in found if confident)
    return Reply("\n\n".join(said), first.choices, sources=sources)
