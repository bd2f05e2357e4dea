"""Stop words that are nouns where they stand: "a will" (not "will it cost"), "what ID" (not
"id like", typed for I'd)."""

from __future__ import annotations

from frontdesk.knowledge.lexicon import Lexicon

MODAL_NOUNS = frozenset({"will", "can", "may", "must"})
DETERMINERS = frozenset({"a", "an", "the", "my", "your", "our", "his", "her", "their", "this",
                         "that", "old", "new", "existing", "current"})  # fmt: skip
ID_AFTER = frozenset({"what", "which", "photo", "any", "some", "of", "valid", "no", "for",
                      "bring", "need", "show", "have", "take", "carry", "send", "upload"})  # fmt: skip


def id_here(words: list[str], at: int) -> bool:
    """ "id" typed for I'd is filler; after "what", "photo", a determiner, a verb it is the
    object of ("bring id"), or last, it is ID."""
    if words[at] != "id":
        return False
    return at == len(words) - 1 or at > 0 and words[at - 1] in ID_AFTER | DETERMINERS


def noun_here(words: list[str], at: int, lex: Lexicon) -> bool:
    """ "a will", "a simple will", "my mum's will", "update my will": a determiner before it
    (an adjective or two between), or nothing after it."""
    if at == len(words) - 1 and at > 0:
        return True
    for back in (1, 2, 3):
        if at - back < 0:
            return False
        before = words[at - back]
        if before in DETERMINERS:
            return True
        if lex.ignorable(lex.stem(before), before):
            return False
    return False
