"""A polite crawler: same host only, sitemaps (also gzipped) or links, HTML pages only."""

from __future__ import annotations

import html
import re
import zlib
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass
from urllib.parse import urldefrag, urljoin, urlsplit

from frontdesk.knowledge.extract import decode_text
from frontdesk.knowledge.fetch import XML_TYPES, CrawlItem, Fetcher, FetchError, origin_of
from frontdesk.knowledge.html_text import html_to_text

SITEMAP_TYPES = XML_TYPES | frozenset({"text/plain"})
# A .xml.gz sitemap comes as one of these (or as XML with Content-Encoding left to us).
GZIP_TYPES = frozenset({"application/gzip", "application/x-gzip", "application/octet-stream"})
# Links to these are never pages; skipping them saves a request each.
BINARY_SUFFIXES = re.compile(
    r"\.(pdf|png|jpe?g|gif|webp|svg|ico|zip|gz|tgz|mp3|mp4|mov|avi|webm|css|js|json|woff2?|ttf|"
    r"exe|dmg|docx?|xlsx?|pptx?)$",
    re.I,
)
LOC = re.compile(r"<loc>\s*(.*?)\s*</loc>", re.I | re.S)
NOINDEX = "page asks not to be indexed (noindex)"


@dataclass
class CrawlStats:
    """How a finished crawl went: whether the site answered, and whether every page was read."""

    answered: bool = False  # at least one page (or the sitemap) came back
    complete: bool = False  # nothing was left unread when the page limit stopped the crawl


def crawl(
    start_url: str, fetcher: Fetcher, *, follow_links: bool = True, stats: CrawlStats | None = None
) -> Iterator[CrawlItem]:
    """Yield pages of the start URL's site: a sitemap's pages, or pages reached by links."""
    stats = stats if stats is not None else CrawlStats()
    origin = origin_of(start_url)
    queue: deque[str] = deque([normalize(start_url)])
    seen = set(queue)
    fetched: set[str] = set()
    # A sitemap is the site's own list of pages: read those, don't wander off via links.
    follow_links = follow_links and not looks_like_sitemap(start_url)
    requests = 0
    while queue and requests < fetcher.policy.max_pages:
        url = queue.popleft()
        if url in fetched:
            continue  # reached earlier through a redirect
        if not fetcher.allowed(url):
            yield fetcher.refusal(url)
            continue
        requests += 1  # every request counts, so failing links cannot make a crawl endless
        if looks_like_sitemap(url):
            for item in _expand_sitemap(url, fetcher, origin, queue, seen):
                stats.answered = stats.answered or not item.failed.startswith("sitemap:")
                yield item
            continue
        try:
            response = fetcher.fetch(url)
        except FetchError as exc:
            reason = str(exc)
            is_skip = reason.startswith(("disallowed", "not an HTML"))
            yield CrawlItem(url, skipped=reason) if is_skip else CrawlItem(url, failed=reason)
            continue
        final_url = normalize(response.url)
        if final_url in fetched:
            continue  # a redirect to a page already read
        fetched.add(final_url)
        seen.add(final_url)
        stats.answered = True
        page = html_to_text(response.text)
        if page.noindex:
            yield CrawlItem(final_url, skipped=NOINDEX)
        else:
            yield CrawlItem(final_url, page=response)
        if follow_links and not page.nofollow:
            base = urljoin(response.url, page.base_href) if page.base_href else response.url
            for link in page.links:
                passed_over = _enqueue(urljoin(base, link.strip()), origin, queue, seen)
                if passed_over:
                    yield passed_over
    stats.complete = not queue


def _expand_sitemap(
    url: str, fetcher: Fetcher, origin: str, queue: deque[str], seen: set[str]
) -> Iterator[CrawlItem]:
    try:
        text = _sitemap_text(url, fetcher)
    except FetchError as exc:
        yield CrawlItem(url, failed=f"sitemap: {exc}")
        return
    for loc in LOC.findall(text):
        target = normalize(html.unescape(loc))
        if origin_of(target) != origin:
            yield CrawlItem(target, skipped="on another site")
        elif target not in seen:
            seen.add(target)
            queue.append(target)


def _enqueue(url: str, origin: str, queue: deque[str], seen: set[str]) -> CrawlItem | None:
    """Queue a same-site link once; a link to a file (not a page) is reported, never fetched."""
    url = normalize(url)
    if origin_of(url) != origin or url in seen:
        return None
    seen.add(url)
    binary = BINARY_SUFFIXES.search(urlsplit(url).path)
    if binary:
        return CrawlItem(url, skipped=f"a link to a file, not a page (.{binary.group(1).lower()})")
    queue.append(url)
    return None


def _sitemap_text(url: str, fetcher: Fetcher) -> str:
    """A sitemap's XML; `.xml.gz` sitemaps are unpacked (no further than the size limit)."""
    if not urlsplit(url).path.lower().endswith(".gz"):
        return fetcher.fetch(url, SITEMAP_TYPES).text
    _url, media_type, charset, body = fetcher.fetch_bytes(url, SITEMAP_TYPES | GZIP_TYPES)
    if media_type in GZIP_TYPES or body[:2] == b"\x1f\x8b":
        limit = fetcher.policy.max_bytes
        unpacker = zlib.decompressobj(wbits=31)  # gzip framing
        try:
            body = unpacker.decompress(body, limit + 1)
        except zlib.error as exc:
            raise FetchError(f"not a gzip file ({exc})") from exc
        if len(body) > limit or unpacker.unconsumed_tail:
            raise FetchError(f"unpacked sitemap is larger than the limit of {limit} bytes")
    return decode_text(body, charset)


def looks_like_sitemap(url: str) -> bool:
    """A URL whose path names an XML sitemap (possibly gzipped)."""
    path = urlsplit(url).path.lower()
    return path.endswith((".xml", ".xml.gz")) and "sitemap" in path


def normalize(url: str) -> str:
    """Drop the #fragment; an empty path becomes '/'."""
    url, _fragment = urldefrag(url)
    parts = urlsplit(url)
    if parts.scheme in {"http", "https"} and not parts.path:
        url = parts._replace(path="/").geturl()
    return url
