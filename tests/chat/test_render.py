"""Markdown rendering never lets markup, scripts or remote images through."""

from __future__ import annotations

import random
from html.parser import HTMLParser

import pytest

from frontdesk.chat import render
from frontdesk.chat.render import ALLOWED_TAGS, render_markdown


def elements(html: str) -> list[tuple[str, dict[str, str]]]:
    """The (tag, attributes) of every element a browser would build from `html`."""
    found: list[tuple[str, dict[str, str]]] = []

    class Collector(HTMLParser):
        def handle_starttag(self, tag, attrs):
            found.append((tag, {name: value or "" for name, value in attrs}))

    Collector().feed(html)
    return found


@pytest.mark.parametrize(
    "text",
    [
        "<img src=x onerror=alert(1)>",
        "<script>alert(1)</script>",
        "<a href='javascript:alert(1)'>x</a>",
        "<b onclick='alert(1)'>bold</b>",
        "<div style='background:url(http://evil/x)'>x</div>",
        "<iframe src='http://evil'></iframe>",
        "<svg onload=alert(1)>",
    ],
)
def test_raw_html_is_shown_as_text(text):
    html = render_markdown(text)
    assert [tag for tag, _attrs in elements(html)] == ["p"]
    assert "&lt;" in html


@pytest.mark.parametrize(
    "text",
    [
        "[click](javascript:alert(1))",
        "[click](JaVaScRiPt:alert(1))",
        "[click](data:text/html;base64,PHNjcmlwdD4=)",
        "[click](vbscript:msgbox)",
        "<javascript:alert(1)>",
        "[click](/relative/path)",
    ],
)
def test_only_http_https_mailto_links_survive(text):
    html = render_markdown(text)
    assert all("href" not in attrs for _tag, attrs in elements(html))


def test_markdown_images_become_plain_alt_text():
    html = render_markdown("See ![our *office*](http://evil.example/track.png) today")
    assert html == "<p>See our office today</p>"
    assert "evil.example" not in html


def test_every_element_is_allowed_and_has_no_handlers():
    text = "**x** [a](https://a.test) <b onmouseover=x>y</b>\n\n```\n<script>\n```"
    for tag, attrs in elements(render_markdown(text)):
        assert tag in ALLOWED_TAGS
        assert not any(name.startswith("on") or name == "style" for name in attrs)


def test_safe_links_get_rel_and_target():
    html = render_markdown("[Pricing](https://studio.test/pricing) or [mail](mailto:a@b.test)")
    assert '<a href="https://studio.test/pricing" target="_blank" rel="noopener nofollow">' in html
    assert 'href="mailto:a@b.test"' in html


def test_formatting_is_kept():
    html = render_markdown("# Title\n\n**bold** *em* `code`\n\n- one\n- two\n\n> quote")
    for tag in ("<h3>Title</h3>", "<strong>bold</strong>", "<em>em</em>", "<code>code</code>",
                "<li>one</li>", "<blockquote>"):  # fmt: skip
        assert tag in html


def test_empty_text():
    assert render_markdown("") == ""


def test_plain_sentences_skip_the_parser_with_the_same_html():
    # The shortcut must give exactly what markdown-it and nh3 give, on whatever text it takes.
    pieces = [*"abcXYZ019 .,;:!?'()/%$@=+-–—é日{}^", "\u00a0", "\u2003", "\u200b", "\t",
              "\n", "\r", "\x85", "\ufeff", "\u2028", *"\\`*_[]<>&#\"|~", "http://", "1. ",
              "- ", "# ", "  ", "![a](b)", "&amp;", "**", "> ", "---", "    "]  # fmt: skip
    generator = random.Random(7)
    taken = 0
    for _ in range(60000):
        text = "".join(generator.choice(pieces) for _ in range(generator.randint(1, 12)))
        if render._PLAIN.fullmatch(text):
            taken += 1
            assert render_markdown(text) == render._full_render(text), repr(text)
    assert taken > 3000  # the comparison saw many texts the shortcut takes
    sentence = "We design websites and integrate AI assistants."
    assert render._PLAIN.fullmatch(sentence)
    assert render_markdown(sentence) == f"<p>{sentence}</p>"
    for marked in ("1. one", "- one", "a *b*", "a & b", "a\nb", "a  \n", " a"):
        assert not render._PLAIN.fullmatch(marked)
