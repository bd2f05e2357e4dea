"""Split a document's blocks into passages of about 120-250 words, each with its nearest heading."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from frontdesk.knowledge.html_text import Block, html_to_text

MIN_WORDS = 120
MAX_WORDS = 250
SENTENCE_END = re.compile(r"(?<=[.!?])\s+")


@dataclass(frozen=True)
class ChunkText:
    """One passage ready to store: the heading it sits under and its text."""

    heading: str
    text: str

    @property
    def words(self) -> int:
        """How many words the passage has."""
        return len(self.text.split())


@dataclass
class _Passage:
    heading: str = ""
    level: int = 0
    parts: list[str] = field(default_factory=list)
    kinds: list[str] = field(default_factory=list)
    words: int = 0
    opened_by_heading: bool = False  # started at its heading (not continuing a long section)

    def add(self, text: str, kind: str) -> None:
        self.parts.append(text)
        self.kinds.append(kind)
        self.words += len(text.split())

    def text(self) -> str:
        pieces: list[str] = []
        for index, (part, kind) in enumerate(zip(self.parts, self.kinds, strict=True)):
            if index:
                # Keep list items on consecutive lines; everything else is a paragraph.
                joined_items = kind == "item" and self.kinds[index - 1] == "item"
                pieces.append("\n" if joined_items else "\n\n")
            pieces.append("- " + part if kind == "item" else part)
        return "".join(pieces)


class _Chunker:
    def __init__(self, min_words: int, max_words: int, default_heading: str) -> None:
        self.min_words = min_words
        self.max_words = max_words
        self.heading = default_heading
        self.level = 0
        self.current = _Passage(default_heading)
        self.done: list[ChunkText] = []

    def flush(self) -> None:
        if self.current.parts:
            self.done.append(ChunkText(self.current.heading, self.current.text()))
        self.current = _Passage(self.heading, self.level)

    def heading_block(self, block: Block) -> None:
        big_enough = self.current.words >= self.min_words
        # A heading above the passage's own section starts a new topic.
        new_topic = bool(self.current.parts) and block.level <= self.current.level
        if big_enough or (new_topic and self.current.words >= self.min_words // 2):
            self.flush()
        self.heading, self.level = block.text, block.level
        nested = self.current.opened_by_heading and block.level > self.current.level
        if self.current.parts or nested:
            # Small sections are merged and a heading directly under another keeps the outer
            # one (an FAQ's title, not its first question); the inner stays visible in the text.
            self.current.add(block.text, "text")
        else:
            self.current = _Passage(block.text, block.level, opened_by_heading=True)

    def text_block(self, block: Block) -> None:
        words = len(block.text.split())
        if words > self.max_words:
            self.flush()
            for piece in split_long_text(block.text, self.max_words):
                self.current.add(piece, block.kind)
                self.flush()
            return
        if self.current.words + words > self.max_words:
            self.flush()
        self.current.add(block.text, block.kind)


def chunk_blocks(
    blocks: Iterable[Block],
    *,
    default_heading: str = "",
    min_words: int = MIN_WORDS,
    max_words: int = MAX_WORDS,
) -> list[ChunkText]:
    """Group blocks into passages, breaking at headings once a passage is long enough."""
    chunker = _Chunker(min_words, max_words, default_heading)
    for block in blocks:
        if block.kind == "heading":
            chunker.heading_block(block)
        else:
            chunker.text_block(block)
    chunker.flush()
    return chunker.done


def split_long_text(text: str, max_words: int = MAX_WORDS) -> list[str]:
    """Split an over-long paragraph at sentence ends (or, failing that, every max_words)."""
    pieces: list[str] = []
    current: list[str] = []
    count = 0
    for sentence in SENTENCE_END.split(text):
        for part in _hard_split(sentence, max_words):
            size = len(part.split())
            if current and count + size > max_words:
                pieces.append(" ".join(current))
                current, count = [], 0
            current.append(part)
            count += size
    if current:
        pieces.append(" ".join(current))
    return pieces


def _hard_split(sentence: str, max_words: int) -> list[str]:
    words = sentence.split()
    return [" ".join(words[i : i + max_words]) for i in range(0, len(words), max_words)]


def chunk_html(markup: str, *, default_heading: str = "") -> list[ChunkText]:
    """Passages of an HTML page with navigation, footers, scripts and styles removed."""
    page = html_to_text(markup)
    return chunk_blocks(page.blocks, default_heading=default_heading or page.title)


def chunk_plain_text(text: str, *, default_heading: str = "") -> list[ChunkText]:
    """Passages of plain text whose paragraphs are separated by blank lines."""
    return chunk_blocks(text_blocks(text), default_heading=default_heading)


def text_blocks(text: str) -> list[Block]:
    """Paragraph blocks of plain text (lines joined, hyphenated line breaks mended)."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    text = re.sub(r"(\w)-\n(\w)", r"\1\2", text)
    paragraphs = re.split(r"\n\s*\n", text)
    blocks = []
    for paragraph in paragraphs:
        joined = " ".join(paragraph.split())
        if joined:
            blocks.append(Block("text", joined))
    return blocks
