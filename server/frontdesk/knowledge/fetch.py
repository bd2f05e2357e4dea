"""Fetching web pages politely: robots.txt, pacing, same-host redirects, size limits; every
request (each redirect hop too) through the outbound guard, on a connection pinned to the
address it checked."""

from __future__ import annotations

import http.client
import threading
import time
import urllib.error
import urllib.request
import urllib.robotparser
from dataclasses import dataclass
from email.message import Message
from urllib.parse import urlsplit

from frontdesk.knowledge.extract import decode_text
from frontdesk.outbound.connections import guarded_opener
from frontdesk.outbound.guard import BlockedURL, OutboundPolicy

USER_AGENT = "FrontdeskBot/0.1"
HTML_TYPES = frozenset({"text/html", "application/xhtml+xml"})
XML_TYPES = frozenset({"application/xml", "text/xml", "application/rss+xml"})
MAX_CRAWL_DELAY = 10.0


class FetchError(Exception):
    """A URL that could not be fetched or is not acceptable (the message says why)."""


@dataclass(frozen=True)
class FetchPolicy:
    """Limits for one crawl; the defaults are gentle on the site being read."""

    user_agent: str = USER_AGENT
    timeout: float = 10.0
    max_bytes: int = 2 * 1024 * 1024
    delay: float = 1.0
    max_pages: int = 100
    # What the guard lets through beyond the public internet (nothing, unless configured).
    outbound: OutboundPolicy = OutboundPolicy()


@dataclass(frozen=True)
class Response:
    """A fetched resource: final URL after redirects, media type and decoded text."""

    url: str
    media_type: str
    text: str


@dataclass(frozen=True)
class CrawlItem:
    """One crawled URL: a page to ingest, or a reason it was skipped or failed."""

    url: str
    page: Response | None = None
    skipped: str = ""
    failed: str = ""


class _SameHostRedirects(urllib.request.HTTPRedirectHandler):
    """Follow redirects only within the host we were asked to read, and only where allowed."""

    def __init__(self, fetcher: Fetcher) -> None:
        self.fetcher = fetcher

    def redirect_request(self, req, fp, code, msg, headers, newurl):  # noqa: ANN001, D102
        if origin_of(newurl) != origin_of(req.full_url):
            raise FetchError(
                f"redirected to another site ({origin_of(newurl)}): ingest that address instead"
            )
        if not newurl.endswith("/robots.txt") and not self.fetcher.allowed(newurl):
            raise FetchError("redirected to a page disallowed by robots.txt")
        return super().redirect_request(req, fp, code, msg, headers, newurl)


class Fetcher:
    """Fetches pages under a FetchPolicy, reading robots.txt once per site and pacing requests."""

    def __init__(self, policy: FetchPolicy | None = None) -> None:
        self.policy = policy or FetchPolicy()
        self._opener = guarded_opener(self.policy.outbound, _SameHostRedirects(self))
        self._robots: dict[str, urllib.robotparser.RobotFileParser] = {}
        self._robots_errors: dict[str, str] = {}
        self._last_request: dict[str, float] = {}
        self._lock = threading.Lock()

    def allowed(self, url: str) -> bool:
        """Whether robots.txt of the URL's site lets FrontdeskBot fetch it."""
        return self._robots_for(url).can_fetch(self.policy.user_agent, url)

    def refusal(self, url: str) -> CrawlItem:
        """Why robots.txt rules out a URL: disallowed (a skip), or unreadable (a failure)."""
        error = self._robots_errors.get(origin_of(url))
        if error:
            return CrawlItem(url, failed=f"robots.txt could not be read ({error})")
        return CrawlItem(url, skipped="disallowed by robots.txt")

    def fetch(self, url: str, media_types: frozenset[str] = HTML_TYPES) -> Response:
        """GET a URL; raises FetchError unless it answers 200 with one of `media_types`."""
        final_url, media_type, charset, body = self.fetch_bytes(url, media_types)
        return Response(final_url, media_type, decode_text(body, charset))

    def fetch_bytes(
        self, url: str, media_types: frozenset[str]
    ) -> tuple[str, str, str | None, bytes]:
        """GET a URL as (final URL, media type, charset, body), under the same rules as fetch."""
        if urlsplit(url).scheme not in {"http", "https"}:
            raise FetchError("only http and https URLs can be fetched")
        if not self.allowed(url):
            raise FetchError("disallowed by robots.txt")
        with self._raw(url) as answer:
            media_type, charset = _content_type(answer.headers)
            if media_type not in media_types:
                raise FetchError(f"not an HTML page ({media_type or 'no content type'})")
            body = self._read_limited(answer)
            final_url = answer.geturl()
        return final_url, media_type, charset, body

    def _raw(self, url: str):  # noqa: ANN202
        self._pace(origin_of(url))
        request = urllib.request.Request(url, headers={"User-Agent": self.policy.user_agent})
        try:
            return self._opener.open(request, timeout=self.policy.timeout)
        except urllib.error.HTTPError as exc:
            exc.close()
            raise FetchError(f"HTTP {exc.code}") from exc
        except BlockedURL as exc:
            raise FetchError(str(exc)) from exc
        except (urllib.error.URLError, http.client.HTTPException, OSError, ValueError) as exc:
            reason = getattr(exc, "reason", exc)
            raise FetchError(f"could not connect: {reason}") from exc

    def _read_limited(self, answer) -> bytes:  # noqa: ANN001
        limit = self.policy.max_bytes
        declared = answer.headers.get("Content-Length")
        if declared and declared.isdigit() and int(declared) > limit:
            raise FetchError(f"page is {declared} bytes; the limit is {limit} bytes")
        try:
            body = answer.read(limit + 1)
        except (OSError, ValueError, http.client.HTTPException) as exc:
            raise FetchError(f"read failed: {exc}") from exc
        if len(body) > limit:
            raise FetchError(f"page is larger than the limit of {limit} bytes")
        return body

    def _pace(self, origin: str) -> None:
        """Wait so requests to one site are at least the delay apart."""
        delay = self.policy.delay
        robots = self._robots.get(origin)
        if robots is not None and (wanted := robots.crawl_delay(self.policy.user_agent)):
            delay = max(delay, min(float(wanted), MAX_CRAWL_DELAY))
        with self._lock:
            wait = self._last_request.get(origin, 0.0) + delay - time.monotonic()
            if wait > 0:
                time.sleep(wait)
            self._last_request[origin] = time.monotonic()

    def _robots_for(self, url: str) -> urllib.robotparser.RobotFileParser:
        origin = origin_of(url)
        if origin not in self._robots:
            self._robots[origin] = self._read_robots(origin)
        return self._robots[origin]

    def _read_robots(self, origin: str) -> urllib.robotparser.RobotFileParser:
        parser = urllib.robotparser.RobotFileParser(origin + "/robots.txt")
        try:
            with self._raw(origin + "/robots.txt") as answer:
                parser.parse(decode_text(self._read_limited(answer)).splitlines())
        except FetchError as exc:
            status = str(exc)
            # As RobotFileParser.read(): 401/403 forbid all, other 4xx mean "no rules";
            # a server error or no answer forbids all (we cannot know the rules).
            if status in {"HTTP 401", "HTTP 403"}:
                parser.disallow_all = True
            elif status.startswith("HTTP 4"):
                parser.allow_all = True
            else:
                parser.disallow_all = True
                self._robots_errors[origin] = status
        return parser


def origin_of(url: str) -> str:
    """scheme://host[:port] in lower case (the unit of 'same site')."""
    parts = urlsplit(url)
    return f"{parts.scheme.lower()}://{parts.netloc.lower()}"


def _content_type(headers: Message) -> tuple[str, str | None]:
    media_type = (headers.get_content_type() or "").lower()
    if not headers.get("Content-Type"):
        media_type = ""
    return media_type, headers.get_content_charset()
