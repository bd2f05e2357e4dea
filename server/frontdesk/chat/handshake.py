"""Vetting a websocket handshake before the upgrade (both sockets): origin, site, per-IP slots.

A socket's `before_request` check calls the steps it needs; the first that fails refuses the
handshake with plain HTTP (403/404/429), so a refused socket is never upgraded.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any, TypeVar
from urllib.parse import urlsplit

from flask import Response, current_app, request
from werkzeug.wsgi import ClosingIterator

from frontdesk.chat.limits import IpLimits, client_ip
from frontdesk.sites import origin_in

T = TypeVar("T")
IP_SLOT = "frontdesk.ip_slot"  # environ key: (limits, ip) of a socket counted against its IP


class Refused(Exception):
    """The handshake is refused with this HTTP status and text."""

    def __init__(self, status: int, text: str) -> None:
        super().__init__(text)
        self.status = status
        self.text = text


def refusal(status: int, text: str) -> Response:
    """The plain-text HTTP answer to a refused handshake."""
    return Response(text + "\n", status=status, mimetype="text/plain")


def vetting(
    check: Callable[[], None], *, endpoint: str | None = None
) -> Callable[[], Response | None]:
    """A before_request hook running `check` (only for `endpoint`, when given)."""

    def vet() -> Response | None:
        if endpoint is not None and request.endpoint != endpoint:
            return None
        try:
            check()
        except Refused as refused:
            return refusal(refused.status, refused.text)
        return None

    return vet


def require(value: T | None, status: int, text: str) -> T:
    """`value`, or a refusal when there is none (unknown site, no staff session...)."""
    if value is None:
        raise Refused(status, text)
    return value


def require_origin(allowed: Iterable[str]) -> None:
    """Refuse (403) unless the request's Origin is one of `allowed`."""
    if not origin_in(request.headers.get("Origin"), allowed):
        raise Refused(403, "origin not allowed")


def own_origins() -> set[str]:
    """This server's own origins: the request's host and the configured PUBLIC_URL."""
    own = {request.host_url}
    public = current_app.config.get("PUBLIC_URL")
    if public:
        parts = urlsplit(str(public))
        own.add(f"{parts.scheme}://{parts.netloc}")
    return own


def hold_ip_slot(limits: IpLimits) -> str:
    """Count the socket against its IP (429 when the IP has its maximum open); returns the IP.

    The slot is given back when the server is done with the connection (`keep_ip_slots`), not
    when the view returns: until then its thread is still busy and must still count.
    """
    ip = client_ip(request.environ)
    if not limits.acquire(ip):
        raise Refused(429, "too many connections")
    request.environ[IP_SLOT] = (limits, ip)
    return ip


def keep_ip_slots(wsgi_app: Callable) -> Callable:
    """WSGI middleware: a socket's IP slot is released once the server has finished the
    request (the response iterable closed: after werkzeug's final write and drain), or when the
    application raises (gunicorn's way of ending a websocket)."""
    if getattr(wsgi_app, "keeps_ip_slots", False):
        return wsgi_app

    def app(environ: dict[str, Any], start_response: Callable) -> Any:
        try:
            result = wsgi_app(environ, start_response)
        except BaseException:
            _release(environ)
            raise
        return ClosingIterator(result, lambda: _release(environ))

    app.keeps_ip_slots = True  # type: ignore[attr-defined]
    return app


def _release(environ: dict[str, Any]) -> None:
    slot: tuple[Any, str] | None = environ.pop(IP_SLOT, None)
    if slot is not None:
        limits, ip = slot
        limits.release(ip)
