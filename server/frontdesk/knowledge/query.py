"""Free text to safe search terms: words only, no user-supplied operators, no stop words."""

from __future__ import annotations

import re

MAX_TERMS = 8
MAX_TERM_CHARS = 40
MAX_QUERY_CHARS = 1000
# Letters and digits only: nothing FTS5 or tsquery could read as syntax survives.
WORD = re.compile(r"[^\W_]+", re.UNICODE)

# The Snowball English list PostgreSQL's 'english' configuration drops (so both backends
# ignore the same words), plus chat filler that says nothing about the topic.
_STOP_WORDS_TEXT = """
    i me my myself we our ours ourselves you your yours yourself yourselves he him his himself
    she her hers herself it its itself they them their theirs themselves what which who whom
    this that these those am is are was were be been being have has had having do does did doing
    a an the and but if or because as until while of at by for with about against between into
    through during before after above below to from up down in out on off over under again
    further then once here there when where why how all any both each few more most other some
    such no nor not only own same so than too very s t can will just don should now d ll m o re
    ve y ain aren couldn didn doesn hadn hasn haven isn ma mightn mustn needn shan shouldn wasn
    weren won wouldn hi hello hey thanks thank please could would may might must shall also get
    got tell know want wanted wondering like need anyone someone something anything ok okay yes
    yeah much many
"""
STOP_WORDS = frozenset(_STOP_WORDS_TEXT.split())


def search_terms(query: str) -> list[str]:
    """Distinct lower-case content words of a query, in order, capped in number and length."""
    terms: list[str] = []
    for word in WORD.findall(query[:MAX_QUERY_CHARS].lower()):
        if word in STOP_WORDS or len(word) > MAX_TERM_CHARS:
            continue
        if len(word) == 1 and not word.isdigit():
            continue
        if word not in terms:
            terms.append(word)
        if len(terms) == MAX_TERMS:
            break
    return terms


def fts5_match(terms: list[str], at_least: int = 1) -> str:
    """An FTS5 MATCH expression: every term quoted (a literal); rows with `at_least` 1 or 2.

    Asking for two terms as (a AND b) OR (a AND c) OR ... lets FTS5 intersect posting lists
    instead of scoring every row that has just one common word. Each term occurs equally
    often in the expression, so bm25's ordering is the same as for the plain OR.
    """
    # Terms hold letters and digits only, so the quotes cannot be broken out of.
    quoted = [f'"{term}"' for term in terms]
    if at_least < 2 or len(quoted) < 2:
        return " OR ".join(quoted)
    return " OR ".join(f"({a} AND {b})" for a, b in pairs(quoted))


def pairs(items: list[str]) -> list[tuple[str, str]]:
    """Every unordered pair of distinct items, in order."""
    return [(a, b) for i, a in enumerate(items) for b in items[i + 1 :]]


def required_matches(term_count: int) -> int:
    """How many distinct query terms a passage must contain to count as relevant.

    Up to three terms: one. Four to six: two, so a passage sharing a single generic word
    ("price", "help") with a longer question is not taken for an answer. More: three.
    """
    if term_count <= 3:
        return 1
    return 2 if term_count <= 6 else 3
