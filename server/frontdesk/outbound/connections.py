"""http.client connections and urllib handlers that connect only to the address the guard checked.

The URL's host still goes out as the Host header and as the TLS server name (so certificates are
verified against the name), but the TCP connection is made to `Target.address`: a DNS answer that
changes between the check and the connect (DNS rebinding) cannot redirect it.
"""

from __future__ import annotations

import http.client
import socket
import urllib.request

from frontdesk.outbound.guard import OutboundPolicy, Target, vet_url


def _pinned_create_connection(address: str):
    def create(destination, timeout=socket._GLOBAL_DEFAULT_TIMEOUT, source_address=None):
        return socket.create_connection((address, destination[1]), timeout, source_address)

    return create


class PinnedHTTPConnection(http.client.HTTPConnection):
    """An HTTP connection to the target's host that dials the target's checked address."""

    def __init__(self, target: Target, **kwargs) -> None:
        super().__init__(target.host, target.port, **kwargs)
        self._create_connection = _pinned_create_connection(target.address)


class PinnedHTTPSConnection(http.client.HTTPSConnection):
    """An HTTPS connection verified against the target's host name, dialled to its address."""

    def __init__(self, target: Target, **kwargs) -> None:
        super().__init__(target.host, target.port, **kwargs)
        self._create_connection = _pinned_create_connection(target.address)


def pinned_connection(target: Target, timeout: float) -> http.client.HTTPConnection:
    """A not-yet-connected http.client connection for a vetted target."""
    cls = PinnedHTTPSConnection if target.scheme == "https" else PinnedHTTPConnection
    return cls(target, timeout=timeout)


class _GuardedHandlerMixin:
    """Vets every request (each redirect hop too) and opens it on a pinned connection."""

    def __init__(self, policy: OutboundPolicy, **kwargs) -> None:
        super().__init__(**kwargs)
        self.policy = policy

    def _open_pinned(self, req, connection_class, **connection_args):
        target = vet_url(req.full_url, self.policy)

        def factory(host, **kwargs):  # urllib passes the URL's host; we dial the vetted one
            return connection_class(target, **kwargs)

        return self.do_open(factory, req, **connection_args)


class GuardedHTTPHandler(_GuardedHandlerMixin, urllib.request.HTTPHandler):
    """urllib's HTTP handler behind the outbound guard."""

    def http_open(self, req):
        """Open an http:// request on a pinned connection."""
        return self._open_pinned(req, PinnedHTTPConnection)


class GuardedHTTPSHandler(_GuardedHandlerMixin, urllib.request.HTTPSHandler):
    """urllib's HTTPS handler behind the outbound guard."""

    def https_open(self, req):
        """Open an https:// request on a pinned, certificate-checked connection."""
        return self._open_pinned(req, PinnedHTTPSConnection, context=self._context)


def guarded_opener(policy: OutboundPolicy, *handlers) -> urllib.request.OpenerDirector:
    """A urllib opener whose every request (redirects included) passes the guard, pinned."""
    return urllib.request.build_opener(
        GuardedHTTPHandler(policy), GuardedHTTPSHandler(policy), *handlers
    )
