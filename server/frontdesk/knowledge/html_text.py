"""Readable text blocks from HTML: headings and paragraphs, without navigation or scripts."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from html.parser import HTMLParser

# Never text a visitor wants: code, chrome around the content, widgets.
SKIPPED_TAGS = frozenset(
    [
        "script",
        "style",
        "noscript",
        "template",
        "svg",
        "math",
        "nav",
        "footer",
        "aside",
        "form",
        "iframe",
        "object",
        "embed",
        "canvas",
        "button",
        "select",
        "textarea",
        "head",
        "dialog",
    ]
)
SKIPPED_ROLES = frozenset(
    ["navigation", "banner", "contentinfo", "search", "complementary", "menu", "menubar"]
)
BLOCK_TAGS = frozenset(
    [
        "p",
        "div",
        "li",
        "pre",
        "blockquote",
        "tr",
        "dt",
        "dd",
        "section",
        "article",
        "main",
        "header",
        "ul",
        "ol",
        "dl",
        "table",
        "figure",
        "figcaption",
        "address",
        "details",
        "summary",
        "caption",
        "body",
        "html",
        "hr",
    ]
)
HEADING_TAGS = {f"h{level}": level for level in range(1, 7)}
VOID_TAGS = frozenset(
    [
        "area",
        "base",
        "br",
        "col",
        "embed",
        "hr",
        "img",
        "input",
        "link",
        "meta",
        "param",
        "source",
        "track",
        "wbr",
    ]
)
# Opening one of these closes an unclosed sibling of the same kind (<p>a<p>b).
SELF_CLOSING_SIBLINGS = frozenset(["p", "li", "dt", "dd", "tr", "td", "th", "option"])
CELL_TAGS = frozenset({"td", "th"})
# Deeper nesting is treated as flat: hostile pages cannot make end tags cost O(depth) each.
MAX_DEPTH = 200
WHITESPACE = re.compile(r"\s+")


@dataclass
class Block:
    """A heading (level 1-6) or a run of text ("text" paragraph or list "item")."""

    kind: str
    text: str
    level: int = 0
    in_main: bool = False


@dataclass
class HtmlText:
    """What a page yields: its title, readable blocks, outgoing links and robots hints."""

    title: str
    blocks: list[Block]
    links: list[str] = field(default_factory=list)
    base_href: str = ""
    noindex: bool = False
    nofollow: bool = False


@dataclass
class _Open:
    tag: str
    skip: bool
    main: bool


class _Extractor(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[_Open] = []
        self.blocks: list[Block] = []
        self.buffer: list[str] = []
        self.item = False
        self.title_parts: list[str] | None = None
        self.title = ""
        self.links: list[str] = []
        self.base_href = ""
        self.robots = ""

    # -- state helpers -------------------------------------------------------------------
    @property
    def skipping(self) -> bool:
        return bool(self.stack) and self.stack[-1].skip

    @property
    def in_main(self) -> bool:
        return bool(self.stack) and self.stack[-1].main

    def _in_pre(self) -> bool:
        return any(entry.tag == "pre" for entry in self.stack)

    def flush(self, kind: str | None = None, level: int = 0) -> None:
        """Turn the text gathered so far into a block."""
        raw = "".join(self.buffer)
        text = raw.strip() if self._in_pre() else WHITESPACE.sub(" ", raw).strip(" |")
        self.buffer = []
        if text:
            kind = kind or ("item" if self.item else "text")
            self.blocks.append(Block(kind, text.strip(), level, self.in_main))
        self.item = False

    def _should_skip(self, tag: str, attrs: dict[str, str | None]) -> bool:
        if tag in SKIPPED_TAGS or "hidden" in attrs:
            return True
        if (attrs.get("aria-hidden") or "").lower() == "true":
            return True
        if (attrs.get("role") or "").lower() in SKIPPED_ROLES:
            return True
        # A page header is usually the site banner; inside an article it holds the title.
        return tag == "header" and not self.in_main

    # -- parser callbacks ----------------------------------------------------------------
    def handle_starttag(self, tag: str, attrs_list: list[tuple[str, str | None]]) -> None:
        attrs = dict(attrs_list)
        self._collect_meta(tag, attrs)
        if tag in VOID_TAGS:
            if tag in {"br", "hr"} and not self.skipping:
                self.buffer.append("\n" if self._in_pre() else " ")
                if tag == "hr":
                    self.flush()
            return
        if tag in SELF_CLOSING_SIBLINGS and self.stack and self.stack[-1].tag == tag:
            self.handle_endtag(tag)
        if tag == "title" and not self.title:
            self.title_parts = []
        if (tag in BLOCK_TAGS or tag in HEADING_TAGS) and not self.skipping:
            self.flush()
        skip = self.skipping or self._should_skip(tag, attrs)
        main = self.in_main or tag in {"main", "article"} or attrs.get("role") == "main"
        if len(self.stack) >= MAX_DEPTH:
            return
        self.stack.append(_Open(tag, skip, main))
        if tag == "li" and not skip:
            self.item = True

    def _collect_meta(self, tag: str, attrs: dict[str, str | None]) -> None:
        if tag == "a" and attrs.get("href"):
            self.links.append(attrs["href"] or "")
        elif tag == "base" and attrs.get("href") and not self.base_href:
            self.base_href = attrs["href"] or ""
        elif tag == "meta" and (attrs.get("name") or "").lower() in {"robots", "frontdeskbot"}:
            self.robots += " " + (attrs.get("content") or "").lower()

    def handle_endtag(self, tag: str) -> None:
        if not any(entry.tag == tag for entry in self.stack):
            return  # stray end tag: ignore rather than unbalance the stack
        while self.stack:
            entry = self.stack[-1]
            if entry.tag == "title" and self.title_parts is not None:
                self.title = WHITESPACE.sub(" ", "".join(self.title_parts)).strip()
                self.title_parts = None
            if entry.tag in HEADING_TAGS and not entry.skip:
                self.flush("heading", HEADING_TAGS[entry.tag])
            elif entry.tag in CELL_TAGS and not entry.skip:
                self.buffer.append(" | ")
            elif (entry.tag in BLOCK_TAGS) and not entry.skip:
                self.flush()
            self.stack.pop()
            if entry.tag == tag:
                return

    def handle_data(self, data: str) -> None:
        if self.title_parts is not None:
            self.title_parts.append(data)
            return
        if not self.skipping:
            self.buffer.append(data)


def html_to_text(markup: str) -> HtmlText:
    """Parse HTML into blocks, keeping only the main content when the page marks it."""
    parser = _Extractor()
    parser.feed(markup)
    parser.close()
    parser.flush()
    blocks = parser.blocks
    if any(block.in_main for block in blocks):
        blocks = [block for block in blocks if block.in_main]
    headings = [block for block in blocks if block.kind == "heading"]
    first_h1 = next((block.text for block in headings if block.level == 1), "")
    title = parser.title or first_h1 or (headings[0].text if headings else "")
    robots = parser.robots
    return HtmlText(
        title=title,
        blocks=blocks,
        links=parser.links,
        base_href=parser.base_href,
        noindex="noindex" in robots or "none" in robots.split(),
        nofollow="nofollow" in robots or "none" in robots.split(),
    )
