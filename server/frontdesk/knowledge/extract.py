"""Turn files and fetched pages (Markdown, HTML, text, PDF) into a title, a link and passages."""

from __future__ import annotations

import hashlib
import io
import re
from dataclasses import dataclass
from pathlib import Path

from frontdesk.knowledge.chunking import ChunkText, chunk_blocks, text_blocks
from frontdesk.knowledge.html_text import HtmlText, html_to_text

MARKDOWN_SUFFIXES = frozenset({".md", ".markdown", ".mdown", ".mkd"})
HTML_SUFFIXES = frozenset({".html", ".htm", ".xhtml"})
TEXT_SUFFIXES = frozenset({".txt", ".text"})
PDF_SUFFIXES = frozenset({".pdf"})
SUPPORTED_SUFFIXES = MARKDOWN_SUFFIXES | HTML_SUFFIXES | TEXT_SUFFIXES | PDF_SUFFIXES
MAX_FILE_BYTES = 20 * 1024 * 1024
MAX_CHUNKS = 5000
TITLE_CHARS = 500
HEADING_CHARS = 500
URL_CHARS = 1000
FRONT_MATTER = re.compile(r"\A---[ \t]*\r?\n(.*?)\r?\n(?:---|\.\.\.)[ \t]*(?:\r?\n|\Z)", re.S)


class ExtractError(ValueError):
    """A document that cannot be turned into text (the message says why)."""


@dataclass(frozen=True)
class Extracted:
    """A document's title, visitor-facing link and passages."""

    title: str
    url: str
    chunks: list[ChunkText]

    @property
    def content_hash(self) -> str:
        """SHA-256 of everything stored, so any visible change counts as an update."""
        digest = hashlib.sha256(f"{self.title}\n{self.url}\n".encode())
        for chunk in self.chunks:
            digest.update(f"\x1e{chunk.heading}\x1f{chunk.text}".encode())
        return digest.hexdigest()


def extract_file(path: Path) -> Extracted:
    """Read and extract a supported file; raises ExtractError with a reason otherwise."""
    suffix = path.suffix.lower()
    if suffix not in SUPPORTED_SUFFIXES:
        raise ExtractError(f"unsupported file type {suffix or '(none)'!r}")
    size = path.stat().st_size
    if size > MAX_FILE_BYTES:
        raise ExtractError(f"file is {size} bytes; the limit is {MAX_FILE_BYTES}")
    data = path.read_bytes()
    fallback = title_from_filename(path.name)
    if suffix in PDF_SUFFIXES:
        return extract_pdf(data, fallback)
    text = decode_text(data)
    if suffix in MARKDOWN_SUFFIXES:
        return extract_markdown(text, fallback)
    if suffix in HTML_SUFFIXES:
        return extract_html(text, fallback)
    return finish(fallback, "", chunk_blocks(text_blocks(text), default_heading=fallback))


def decode_text(data: bytes, charset: str | None = None) -> str:
    """Decode bytes as the given charset, else UTF-8 (with a BOM or not), else Latin-1."""
    for encoding in (charset, "utf-8-sig"):
        if not encoding:
            continue
        try:
            return data.decode(encoding)
        except (LookupError, UnicodeDecodeError):
            continue
    return data.decode("latin-1")


def extract_markdown(text: str, fallback_title: str) -> Extracted:
    """Markdown with optional front matter (`title:`, `url:`), rendered then read as HTML."""
    from markdown_it import MarkdownIt  # here: ~25 ms only an ingest needs, not a server start

    meta, body = split_front_matter(text)
    renderer = MarkdownIt("commonmark", {"html": True}).enable("table")
    page = html_to_text(renderer.render(body))
    title = meta.get("title") or _first_h1(page) or fallback_title
    url = safe_link(meta.get("url", ""))
    return finish(title, url, chunk_blocks(page.blocks, default_heading=title))


def extract_html(markup: str, fallback_title: str, url: str = "") -> Extracted:
    """An HTML document: <title> (or first heading) and its main content."""
    page = html_to_text(markup)
    title = page.title or fallback_title
    return finish(title, safe_link(url), chunk_blocks(page.blocks, default_heading=title))


def extract_pdf(data: bytes, fallback_title: str) -> Extracted:
    """A PDF's text layer, page by page; the title comes from its metadata when set."""
    from pypdf import PdfReader
    from pypdf.errors import PyPdfError

    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted:
            raise ExtractError("PDF is encrypted")
        title = ((reader.metadata.title if reader.metadata else None) or "").strip()
        blocks = []
        for page in reader.pages:
            blocks.extend(text_blocks(page.extract_text() or ""))
    except (PyPdfError, ValueError, KeyError, TypeError) as exc:
        if isinstance(exc, ExtractError):
            raise
        raise ExtractError(f"unreadable PDF: {exc}") from exc
    title = title or fallback_title
    return finish(title, "", chunk_blocks(blocks, default_heading=title))


def finish(title: str, url: str, chunks: list[ChunkText]) -> Extracted:
    """Validate and trim what will be stored."""
    if not chunks:
        raise ExtractError("no text found")
    if len(chunks) > MAX_CHUNKS:
        raise ExtractError(f"document has {len(chunks)} passages; the limit is {MAX_CHUNKS}")
    trimmed = [ChunkText(chunk.heading[:HEADING_CHARS], chunk.text) for chunk in chunks]
    return Extracted(" ".join(title.split())[:TITLE_CHARS], url, trimmed)


def split_front_matter(text: str) -> tuple[dict[str, str], str]:
    """Simple `key: value` front matter between --- lines, and the body after it."""
    match = FRONT_MATTER.match(text.lstrip("\ufeff"))
    if not match:
        return {}, text
    meta: dict[str, str] = {}
    for line in match.group(1).splitlines():
        key, sep, value = line.partition(":")
        if sep and key.strip() and not key.startswith((" ", "\t")):
            meta[key.strip().lower()] = value.strip().strip("\"'")
    return meta, text.lstrip("\ufeff")[match.end() :]


def safe_link(url: str) -> str:
    """The URL when it is an absolute http(s) link of sane length, else empty."""
    url = url.strip()
    if len(url) > URL_CHARS or any(ch.isspace() or ord(ch) < 32 for ch in url):
        return ""
    return url if re.match(r"(?i)^https?://[^/\s]+", url) else ""


def title_from_filename(name: str) -> str:
    """'pricing-faq.md' -> 'Pricing faq'."""
    stem = Path(name).stem.replace("_", " ").replace("-", " ").strip() or name
    return stem[:1].upper() + stem[1:]


def _first_h1(page: HtmlText) -> str:
    return next((b.text for b in page.blocks if b.kind == "heading" and b.level == 1), "")
