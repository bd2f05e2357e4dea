"""Markdown to safe HTML for chat messages: markdown-it-py (CommonMark, raw HTML off) then nh3.

Two layers on purpose: markdown-it never emits raw HTML from the text, and nh3 enforces the
allow-list even if a renderer bug slipped something through. Images are never rendered (an
<img> URL is an exfiltration channel for a prompt-injected model), only their alt text.
"""

from __future__ import annotations

import re
from html import escape
from typing import Any

import nh3
from markdown_it import MarkdownIt

ALLOWED_TAGS = frozenset(
    {
        "p", "br", "strong", "em", "code", "pre", "ul", "ol", "li", "a", "blockquote",
        "h3", "h4", "h5", "h6", "hr",
    }
)  # fmt: skip
ALLOWED_ATTRIBUTES = {"a": {"href"}, "ol": {"start"}}
URL_SCHEMES = frozenset({"http", "https", "mailto"})
LINK_REL = "noopener nofollow"

_cleaner = nh3.Cleaner(
    tags=set(ALLOWED_TAGS),
    clean_content_tags={"script", "style"},
    attributes={tag: set(names) for tag, names in ALLOWED_ATTRIBUTES.items()},
    url_schemes=set(URL_SCHEMES),
    link_rel=LINK_REL,
    set_tag_attribute_values={"a": {"target": "_blank"}},
    url_relative="deny",  # a relative URL would resolve against the host page
    strip_comments=True,
)


def _render_image_as_text(
    renderer: Any, tokens: list[Any], idx: int, options: Any, env: Any
) -> str:
    """An image becomes its escaped alt text: no request is ever made for it."""
    token = tokens[idx]
    alt = "".join(child.content for child in (token.children or []))
    return escape(alt)


def _make_parser() -> MarkdownIt:
    md = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False})
    md.add_render_rule("image", _render_image_as_text)
    # Headings h1/h2 would shout inside a chat bubble; demote them to h3/h4.
    md.core.ruler.push("demote_headings", _demote_headings)
    return md


def _demote_headings(state: Any) -> None:
    for token in state.tokens:
        if token.type in ("heading_open", "heading_close") and token.tag in ("h1", "h2"):
            token.tag = "h3" if token.tag == "h1" else "h4"


_parser = _make_parser()


# One line with none of Markdown's or HTML's special characters, not starting like a block
# (a list item, a heading, indented code): markdown-it would make it one paragraph of the
# same text, and nh3 would leave that as it is. Most short replies are such sentences; they
# skip the parser and the sanitizer (a tenth of a millisecond per message), with the same
# output (tests/chat/test_render.py compares the two on generated text).
_SPECIAL = (
    r"\x00-\x1f\x7f-\xa0\u1680\u2000-\u200b\u2028\u2029\u202f\u205f\u3000\ufeff"  # controls, spaces
    r"\\`*_\[\]<>&#|~"
    '"'  # Markdown's and HTML's own characters
)
_PLAIN = re.compile(rf"[^{_SPECIAL}\s\d=+\-][^{_SPECIAL}]*")


def render_markdown(text: str) -> str:
    """Sanitized HTML for a chat message written in Markdown (no images, safe links only)."""
    if not text:
        return ""
    if _PLAIN.fullmatch(text) and not text[-1].isspace():
        return f"<p>{text}</p>"
    return _full_render(text)


def _full_render(text: str) -> str:
    """markdown-it, then nh3: what any text gets when the plain-sentence shortcut is not sure."""
    return _cleaner.clean(_parser.render(text)).strip()
