"""The sentence or two that answer: what gets quoted from the best unit and its neighbours.

A sentence is quoted with the one before it when it leans on it ("It costs $690..."), and
with the one after when that continues it or answers as well. A question about a whole
section ("what should I bring?") gets the section's opening or its list; a FAQ answer ("No.
You can book straight in") comes with its question, without which it makes no sense.
"""

from __future__ import annotations

import re

from frontdesk.knowledge.ranking import Scored
from frontdesk.knowledge.units import Unit

MAX_CHARS = 340
MAX_ITEMS = 8
FOLLOWS = 0.7  # the next unit is quoted too when it scores this share of the best
EQUAL = 0.95  # a unit of the section elsewhere is quoted too when it scores this share
LEANS = re.compile(
    r"^(?:it|its|this|that|these|those|they|them|their|there|he|she|his|her|otherwise|but|"
    r"however|so|then|also|if (?:it|so|not|that)|which|both|either|neither|and|or|plus|"
    r"after that|beyond that|inside|outside)\b",
    re.I,
)
SHORT = 2  # sentences: a paragraph this short is quoted whole
SECTION_LED = 0.4  # below this share found in the unit itself, the section is the answer


def excerpt(best: Scored, scored: list[Scored], units: list[Unit]) -> str:
    """Markdown quoting the answer found at `best` (untrusted page text, only ever shown)."""
    unit = best.unit
    section = [u for u in units if u.passage == unit.passage and u.section == unit.section]
    scores = {id(s.unit): s.score for s in scored}
    body = [u for u in section if u.kind != "heading"]
    if not body:
        return clean(unit.heading)
    if unit.kind == "heading" and best.aspect and not unit.heading.endswith("?"):
        # A line taken for a heading that states the fact itself (a name-and-address line
        # under "Contact us"): the line is the answer, the section's opening its context.
        opening = _opening(body)
        return f"{clean(unit.heading)}\n\n{opening[0]}"
    if unit.kind == "heading":
        quoted = _list(body[0], body) if body[0].kind == "item" else _opening(body)
    elif unit.kind == "item" and best.own < 0.5:
        quoted = _list(unit, section)
    elif (
        best.own < SECTION_LED
        and unit.kind == "sentence"
        and body[0] is not unit
        and not (best.aspect and best.echo == 0)
    ):
        # (a sentence stating the fact asked for is quoted itself: "It takes an hour")
        quoted = _opening(body)
    else:
        quoted = _around(unit, section, scores, best.score)
    text = quoted[0]
    first = body.index(quoted[1]) if quoted[1] in body else -1
    if unit.heading.endswith("?") and first == 0:
        text = f"**{clean(unit.heading)}** {text}"
    return text


def _around(unit: Unit, section: list[Unit], scores: dict[int, float], best: float):
    at = section.index(unit)
    # A short paragraph is one thought: its rule and its exception ("free up to 24 hours
    # ahead. Within 24 hours the full fee applies"), or a FAQ's "No." and its reason ("We are
    # not able to take on legal aid work. If you might qualify..."), are quoted together.
    block = [u for u in section if u.block == unit.block and u.kind == unit.kind]
    short = len(block) <= SHORT and unit.kind == "sentence"
    start = (
        at - 1 if at > 0 and LEANS.match(unit.text) and section[at - 1].kind == unit.kind else at
    )
    if short and block[0] is not unit:
        start = min(start, section.index(block[0]))
    picked = section[start : at + 1]
    for follower in section[at + 1 : at + 3]:
        answers = scores.get(id(follower), 0) >= FOLLOWS * best
        # A page's own question ("Already started with another school?") is answered next.
        asks = picked[-1].text.rstrip().endswith("?")
        continues = short or LEANS.match(follower.text) or answers or asks
        # A paragraph after a list answers too when it scores as well: "Saturday: closed",
        # then "From February to April we are also open Saturdays from 10 am".
        apart = follower.block != unit.block and follower.kind != unit.kind
        if not continues or apart and not (answers and follower is section[at + 1]):
            break
        if sum(len(u.text) for u in picked) + len(follower.text) > MAX_CHARS:
            break
        picked.append(follower)
    # Another sentence of the section that scores as well, further on or before ("We are
    # above the Blue Tokai café" three lines under the address): which of two equals comes
    # first on the page says nothing of which answers, so both are said, in page order.
    equal = [
        u
        for u in section
        if u.kind == unit.kind and u not in picked and scores.get(id(u), 0) >= EQUAL * best
    ]
    if equal and sum(len(u.text) for u in picked) + len(equal[0].text) <= MAX_CHARS:
        picked = sorted([*picked, equal[0]], key=section.index)
    return _join(picked) + _list_after(picked[-1], section), picked[0]


def _opening(section: list[Unit]):
    picked: list[Unit] = []
    for unit in section[:4]:
        if unit.kind == "item" and picked and picked[-1].kind == "sentence":
            break  # said as a list below, not run into the sentence before it
        if picked and sum(len(u.text) for u in picked) + len(unit.text) > MAX_CHARS * 0.8:
            break
        picked.append(unit)
    return _join(picked) + _list_after(picked[-1], section), picked[0]


def _list_after(last: Unit, section: list[Unit]) -> str:
    """The list a quoted sentence introduces ("From Tuesday to Saturday:"), which it needs."""
    if last.kind != "sentence" or not last.text.endswith(":"):
        return ""
    at = next((i for i, u in enumerate(section) if u is last), len(section))
    items = []
    for unit in section[at + 1 :]:
        if unit.kind != "item" or items and unit.block != items[0].block:
            break
        items.append(unit)
    return "".join(f"\n- {clip(u.text, 160)}" for u in items[:MAX_ITEMS])


def _list(unit: Unit, section: list[Unit]):
    items = [u for u in section if u.block == unit.block and u.kind == "item"][:MAX_ITEMS]
    lines = "\n".join(f"- {clip(u.text, 160)}" for u in items)
    intro = f"{clean(unit.context)}\n" if unit.context else ""
    return f"{intro}{lines}", items[0]


def _join(picked: list[Unit]) -> str:
    if all(u.kind in ("row", "item") for u in picked) and len(picked) > 1:
        # list items and table rows stay one to a line ("Friday: 9 am to 4 pm")
        return "\n".join(f"- {clip(u.text, 200)}" for u in picked)
    return clip(" ".join(u.text for u in picked), MAX_CHARS + 80)


def clip(text: str, limit: int) -> str:
    """At most `limit` characters, cut at a word."""
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rsplit(" ", 1)[0] + "…"


def clean(text: str) -> str:
    """Page text safe inside Markdown emphasis (stray markers removed)."""
    return re.sub(r"[*_`\[\]<>]", "", text).strip()
