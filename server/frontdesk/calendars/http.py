"""HTTP for calendars through the one outbound guard: every request vetted and pinned to the
checked address, sizes and times limited, redirects not followed (a redirect is reported, so a
calendar address cannot bounce the server into the internal network)."""

from __future__ import annotations

import base64
import http.client
import ssl
from collections.abc import Mapping
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from frontdesk.calendars.base import CalendarRefused, CalendarUnavailable
from frontdesk.outbound.connections import pinned_connection
from frontdesk.outbound.guard import BlockedURL, OutboundPolicy, vet_url

DEFAULT_PORT = {"http": 80, "https": 443}
MAX_BODY_BYTES = 20 * 1024 * 1024  # a 5,000-event feed is about 2 MB
USER_AGENT = "Frontdesk-calendars/1.0"


@dataclass
class Response:
    """What a calendar request returned; enough of requests' Response for the caldav library."""

    status_code: int
    reason: str
    headers: dict[str, str]
    content: bytes
    url: str = ""
    history: list = field(default_factory=list)

    @property
    def text(self) -> str:
        """The body as text (calendar data is UTF-8)."""
        return self.content.decode("utf-8", "replace")


def send(
    policy: OutboundPolicy,
    method: str,
    url: str,
    *,
    body: bytes = b"",
    headers: Mapping[str, str] | None = None,
    timeout: float = 10.0,
) -> Response:
    """One request to a vetted, pinned address; CalendarRefused/Unavailable on failure."""
    try:
        target = vet_url(url, policy)
    except BlockedURL as exc:
        raise CalendarRefused(str(exc)) from None
    parts = urlsplit(target.url)
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    connection = pinned_connection(target, timeout)
    try:
        connection.request(method, path, body=body or None, headers=_headers(headers, body))
        raw = connection.getresponse()
        content = raw.read(MAX_BODY_BYTES + 1)
        if len(content) > MAX_BODY_BYTES:
            raise CalendarRefused("The calendar is too large (over 20 MB).")
        response_headers: dict[str, str] = {}
        for name, value in raw.getheaders():
            key = name.lower()
            response_headers[key] = (
                f"{response_headers[key]}, {value}" if key in response_headers else value
            )
        return Response(raw.status, raw.reason, response_headers, content, url=target.url)
    except ssl.SSLError as exc:
        raise CalendarRefused(f"The calendar's TLS certificate was refused: {exc.reason}") from None
    except TimeoutError:
        raise CalendarUnavailable(f"{target.host} did not answer in time.") from None
    except (OSError, http.client.HTTPException) as exc:
        raise CalendarUnavailable(
            f"{target.host} could not be reached ({type(exc).__name__})."
        ) from None
    finally:
        connection.close()


def same_account_site(url: str, account_url: str) -> bool:
    """Whether `url` belongs to the same service as the account's address: the same scheme, and
    the same host or a sibling under its parent domain (iCloud's caldav.icloud.com keeps
    calendars on p42-caldav.icloud.com); an IP address or a one-label parent must match exactly."""
    a, b = urlsplit(url), urlsplit(account_url)
    if a.scheme.lower() != b.scheme.lower() or not a.hostname or not b.hostname:
        return False
    host, home = a.hostname.lower(), b.hostname.lower()
    if host == home:
        return (a.port or DEFAULT_PORT[a.scheme.lower()]) == (
            b.port or DEFAULT_PORT[b.scheme.lower()]
        )
    parent = home.split(".", 1)[1] if "." in home else ""
    if not parent or "." not in parent or home.replace(".", "").isdigit() or ":" in home:
        return False
    return host.endswith("." + parent)


def basic_auth(username: str, password: str) -> str:
    """An HTTP Basic Authorization header value."""
    token = base64.b64encode(f"{username}:{password}".encode()).decode("ascii")
    return f"Basic {token}"


def _headers(headers: Mapping[str, str] | None, body: bytes) -> dict[str, str]:
    merged = {"User-Agent": USER_AGENT, "Accept-Encoding": "identity"}
    merged.update({k: v for k, v in (headers or {}).items() if v is not None})
    if body:
        merged["Content-Length"] = str(len(body))
    return merged


class GuardedSession:
    """Stands in for the caldav library's niquests/requests session: every request it makes goes
    through `send` (vetted, pinned, limited). Authentication is Basic over the account's
    credentials; the library's own auth object is not used."""

    def __init__(
        self, policy: OutboundPolicy, username: str, password: str, timeout: float, account_url: str
    ):
        self.policy = policy
        self.account_url = account_url
        self.authorization = basic_auth(username, password) if username or password else ""
        self.timeout = timeout

    def request(self, method, url, data=None, headers=None, timeout=None, **_ignored) -> Response:
        """Send one request; proxies, verify and cert are ours to decide, not the library's."""
        if not same_account_site(str(url), self.account_url):
            # The server named an address elsewhere: the account's password does not go there.
            raise CalendarRefused("The calendar server pointed to another site; not followed.")
        body = data.encode() if isinstance(data, str) else (data or b"")
        merged = dict(headers or {})
        if self.authorization:
            merged["Authorization"] = self.authorization
        response = send(
            self.policy, method, str(url), body=body, headers=merged, timeout=self.timeout
        )
        if 300 <= response.status_code < 400 and response.status_code != 304:
            location = response.headers.get("location", "")
            raise CalendarRefused(f"The server redirected to {location[:200]}; use that address.")
        return response

    def close(self) -> None:
        """Nothing is kept open between requests."""
