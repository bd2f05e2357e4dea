"""A passage split into the pieces answers live in: sentences, list items and table rows.

Each unit keeps its section heading (the nearest heading line above it, such as a FAQ
question) and what it needs to make sense alone: a table row its column headers, a list item
the sentence introducing the list. Headings are short lines without a full stop; ingestion
keeps them as lines of their own inside a passage. A unit's neighbours are the units either
side in the same paragraph, list or table.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from frontdesk.knowledge.said import Stems

SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[\"'(“‘]?[A-Z0-9£$€])")
TABLE_CELL = re.compile(r"\s*\|\s*")
MAX_HEADING = 80
MAX_QUESTION_HEADING = 160


@dataclass(frozen=True)
class Unit:
    """One quotable piece of a passage."""

    passage: int  # index of the passage in the list given to split_passages
    index: int  # order within the passage
    section: int  # units under the same heading share it
    heading: str
    text: str  # as shown to a visitor (a table row spelled out with its headers)
    kind: str  # sentence / item / row / heading (stands for its whole section)
    block: int  # units of one paragraph, list or table share it
    context: str = ""  # a row's headers, an item's introduction: matched but not shown


def split_passages(passages: list[tuple[str, str]]) -> list[Unit]:
    """Units of (heading, text) passages, in order."""
    units: list[Unit] = []
    for number, (heading, text) in enumerate(passages):
        units.extend(split_passage(number, heading, text))
    return units


def split_passage(number: int, heading: str, text: str) -> list[Unit]:
    """Units of one passage; `heading` is the one it starts under."""
    out: list[Unit] = []
    section, block = 0, 0
    header: list[str] | None = None  # the current table's column headers
    intro = ""  # the sentence before a list ("It also helps to bring:")
    previous_kind = ""
    lines = [line.strip() for line in text.splitlines()]
    if heading and not (lines and lines[0] and _line_kind(lines[0], lines, 0) == "heading"):
        out.append(_unit(number, out, section, heading, heading, "heading", block))
    for position, line in enumerate(lines):
        if not line:
            continue
        kind = _line_kind(line, lines, position)
        if kind != previous_kind or kind == "paragraph":
            block += 1
        if kind == "heading":
            heading, section, header, intro = line.lstrip("#").strip(), section + 1, None, ""
            out.append(_unit(number, out, section, heading, heading, "heading", block))
        elif kind == "row":
            cells = [c for c in TABLE_CELL.split(line.strip("|").strip())]
            if header is None or previous_kind != "row":
                header = cells  # the first row of a table names its columns
            else:
                out.append(_unit(number, out, section, heading, _row_text(cells, header), "row",
                                 block, " ".join(header)))  # fmt: skip
        elif kind == "item":
            item = re.sub(r"^[-*•]\s+", "", line)
            out.append(_unit(number, out, section, heading, item, "item", block, intro))
        else:
            sentences = [s.strip() for s in SENTENCE_END.split(line) if s.strip()]
            for sentence in sentences:
                out.append(_unit(number, out, section, heading, sentence, "sentence", block))
            intro = sentences[-1] if sentences and sentences[-1].endswith(":") else ""
        previous_kind = kind
    return out


def _unit(number, out, section, heading, text, kind, block, context="") -> Unit:
    return Unit(number, len(out), section, heading, text, kind, block, context)


def _line_kind(line: str, lines: list[str], position: int) -> str:
    if "|" in line and line.count("|") >= 1 and not line.endswith((".", ":")):
        neighbours = [lines[i] for i in (position - 2, position - 1, position + 1, position + 2)
                      if 0 <= i < len(lines)]  # fmt: skip
        if any("|" in n for n in neighbours):
            return "row"
    if re.match(r"^[-*•]\s+", line):
        return "item"
    if is_heading(line):
        return "heading"
    return "paragraph"


def is_heading(line: str) -> bool:
    """A short line without a full stop, or a question on its own line (a FAQ entry)."""
    line = line.lstrip("#").strip()
    short_title = len(line) <= MAX_HEADING and not line.endswith((".", "!", "?", ":", ";", ","))
    return short_title or (len(line) <= MAX_QUESTION_HEADING and line.endswith("?"))


def _row_text(cells: list[str], header: list[str]) -> str:
    """'Cut and style — Junior: $58, Senior: $68' (the first column names the row)."""
    name, values = cells[0], cells[1:]
    labels = header[1:] if len(header) == len(cells) else [""] * len(values)
    parts = [f"{label}: {value}" if label else value for label, value in zip(labels, values, strict=False)
             if value and value not in ("-", "–")]  # fmt: skip
    return f"{name} — {', '.join(parts)}" if parts else name


def section_positions(units: list[Unit]) -> list[int]:
    """Each unit's place in its section (0 for the first), in one pass."""
    out: list[int] = []
    for i, unit in enumerate(units):
        if unit.kind == "heading":
            out.append(-1)  # the heading itself; the section's text starts after it
        else:
            out.append(out[-1] + 1 if i and _same_section(units[i - 1], unit) else 0)
    return out


def _same_section(a: Unit, b: Unit) -> bool:
    return a.passage == b.passage and a.section == b.section


def is_near(wanted: set[str], units: list[Unit], own: list[Stems], i: int, others) -> bool:
    """Whether any of the question's stems is in the unit, its context or its neighbours."""
    if not wanted.isdisjoint(own[i].words) or any(not wanted.isdisjoint(o.words) for o in others):
        return True
    return any(
        0 <= j < len(units)
        and units[j].block == units[i].block
        and units[j].kind != "heading"
        and not wanted.isdisjoint(own[j].words)
        for j in (i - 1, i + 1)
    )


def neighbours(units: list[Unit], own: list[Stems], i: int) -> Stems:
    """The sentences either side in the same paragraph (list, table), as one bag of stems."""
    merged = Stems.__new__(Stems)
    words: set[str] = set()
    parts = []
    for j in (i - 1, i + 1):
        if 0 <= j < len(units) and units[j].block == units[i].block and units[j].kind != "heading":
            words |= own[j].words
            parts.append(own[j].joined)
    merged.words = frozenset(words)
    merged.joined = " ".join(parts) or " "
    return merged


def unit_keys(units: list[Unit], passages: list) -> list[tuple | None]:
    """Each unit's (passage, index): what it matches depends on its passage alone, but for a
    passage's first and last unit (None), whose neighbours in the list are another passage's."""
    out: list[tuple | None] = []
    for i, unit in enumerate(units):
        inner = 0 < i < len(units) - 1 and units[i - 1].passage == unit.passage
        inner = inner and units[i + 1].passage == unit.passage
        out.append((passages[unit.passage], unit.index) if inner else None)
    return out
