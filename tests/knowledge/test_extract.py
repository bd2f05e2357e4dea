"""Extraction and chunking: titles, links, boilerplate removal and passage sizes (no database)."""

from __future__ import annotations

from pathlib import Path

import pytest

from frontdesk.knowledge.chunking import MAX_WORDS, chunk_blocks, split_long_text, text_blocks
from frontdesk.knowledge.extract import (
    ExtractError,
    extract_file,
    extract_html,
    extract_markdown,
    safe_link,
    split_front_matter,
)
from frontdesk.knowledge.html_text import html_to_text
from tests.support.knowledge_files import HOURS_HTML, PRICING_MD, make_pdf


def test_markdown_front_matter_gives_title_and_url():
    doc = extract_markdown(PRICING_MD, "fallback")
    assert doc.title == "Prices and packages"
    assert doc.url == "https://studio.example/pricing"
    text = "\n".join(chunk.text for chunk in doc.chunks)
    assert "AUD 45 a month" in text and "title:" not in text and "---" not in text


def test_markdown_title_falls_back_to_first_heading_then_filename():
    assert extract_markdown("# Our services\n\nWe build sites.", "fb").title == "Our services"
    assert extract_markdown("Just a paragraph of text.", "Notes file").title == "Notes file"


def test_markdown_url_must_be_http():
    doc = extract_markdown("---\nurl: javascript:alert(1)\n---\nSome text here.", "fb")
    assert doc.url == ""
    assert safe_link("https://ok.example/a b") == ""
    assert safe_link("https://ok.example/path?q=1") == "https://ok.example/path?q=1"


def test_front_matter_only_at_start():
    meta, body = split_front_matter("Intro\n---\ntitle: nope\n---\n")
    assert meta == {} and body.startswith("Intro")


def test_html_boilerplate_is_stripped_and_title_read():
    doc = extract_html(HOURS_HTML, "fallback", "https://studio.example/hours")
    text = " ".join(chunk.heading + " " + chunk.text for chunk in doc.chunks)
    assert doc.title == "Opening hours and location"
    assert doc.url == "https://studio.example/hours"
    assert "Monday to Friday" in text and "Free visitor parking" in text
    for boilerplate in ("Navigation menu", "Copyright", "trackVisitor", "color:red"):
        assert boilerplate not in text


def test_html_without_main_keeps_body_but_not_nav_or_footer():
    page = html_to_text(
        "<body><div role='navigation'>Menu</div><h1>Hello</h1><p>Body text</p>"
        "<aside>Sidebar ad</aside><p hidden>Invisible</p><footer>Foot</footer></body>"
    )
    texts = [block.text for block in page.blocks]
    assert texts == ["Hello", "Body text"]
    assert page.title == "Hello"


def test_html_noindex_and_links():
    page = html_to_text(
        '<head><meta name="robots" content="noindex, nofollow"></head>'
        '<body><a href="/a">A</a><p>x</p></body>'
    )
    assert page.noindex and page.nofollow and page.links == ["/a"]


def test_passages_respect_word_limits_and_headings():
    paragraphs = "\n\n".join(" ".join(f"word{i}_{j}" for j in range(60)) for i in range(12))
    markdown = f"# Guide\n\n{paragraphs}\n\n## Second part\n\n" + "final " * 130
    doc = extract_markdown(markdown, "fb")
    sizes = [chunk.words for chunk in doc.chunks]
    assert all(size <= MAX_WORDS for size in sizes)
    assert all(size >= 120 for size in sizes[:-1])
    assert doc.chunks[0].heading == "Guide"
    assert doc.chunks[-1].heading == "Second part"
    # No paragraph is cut in the middle.
    assert all(chunk.text.count("word") % 60 == 0 for chunk in doc.chunks[:-1])


def test_small_sections_are_merged_under_the_outer_heading():
    doc = extract_markdown("# FAQ\n\n## Parking?\n\nYes, free.\n\n## Pets?\n\nDogs welcome.", "fb")
    assert len(doc.chunks) == 1
    assert doc.chunks[0].heading == "FAQ"
    text = doc.chunks[0].text
    assert "Parking?" in text and "Pets?" in text and "Dogs welcome." in text


def test_long_paragraph_is_split_at_sentences():
    sentence = "This sentence has exactly eight words in it. "
    pieces = split_long_text(sentence * 100, max_words=250)
    assert all(len(piece.split()) <= 250 for piece in pieces)
    assert all(piece.endswith("in it.") for piece in pieces)
    assert sum(len(piece.split()) for piece in pieces) == 800
    unbroken = split_long_text("word " * 600, max_words=250)
    assert [len(piece.split()) for piece in unbroken] == [250, 250, 100]


def test_plain_text_paragraphs_and_hyphenation():
    blocks = text_blocks("First line\ncontinues here.\n\nSecond para-\ngraph.\r\n")
    assert [block.text for block in blocks] == ["First line continues here.", "Second paragraph."]
    assert chunk_blocks([]) == []


def test_pdf_text_and_title(tmp_path: Path):
    path = tmp_path / "refund-policy.pdf"
    path.write_bytes(make_pdf(["Refunds are paid within (5) days."], title="Money back"))
    doc = extract_file(path)
    assert doc.title == "Money back"
    assert "Refunds are paid within (5) days." in doc.chunks[0].text
    path.write_bytes(make_pdf(["No title here."]))
    assert extract_file(path).title == "Refund policy"


def test_bad_files_raise_clear_errors(tmp_path: Path):
    cases = {
        "broken.pdf": (b"%PDF-1.4 garbage", "unreadable PDF"),
        "empty.md": (b"---\ntitle: x\n---\n\n", "no text found"),
        "notes.docx": (b"PK", "unsupported file type"),
        "blank.html": (b"<html><script>only()</script></html>", "no text found"),
    }
    for name, (data, reason) in cases.items():
        path = tmp_path / name
        path.write_bytes(data)
        with pytest.raises(ExtractError, match=reason):
            extract_file(path)


def test_malformed_and_hostile_html_is_handled():
    markup = (
        "<div>" * 10_000
        + "</span></p></div>" * 10
        + "<p>Kept text<table><tr><td>a<td>b</table><!-- comment --><![CDATA[x]]>"
        + "<script>never()</script"
        + "</b>" * 10_000
    )
    page = html_to_text(markup)
    texts = " ".join(block.text for block in page.blocks)
    assert "Kept text" in texts and "a | b" in texts and "never()" not in texts
