"""Connections for the streaming path: opening them (TLS as openai's transport, pinned to the
guard's address for a site-chosen provider) and the idle pool they are reused from."""

from __future__ import annotations

import functools
import http.client
import ssl
import threading
from typing import TYPE_CHECKING

from frontdesk.outbound.connections import PinnedHTTPSConnection, pinned_connection

if TYPE_CHECKING:
    from frontdesk.assistant.llm.http_stream import Endpoint

MAX_IDLE = 16  # idle connections kept per origin; beyond that a finished one is closed

_idle: dict[tuple[str, str, int, str], list[http.client.HTTPConnection]] = {}
_idle_lock = threading.Lock()


def connect(endpoint: Endpoint, timeout: float) -> http.client.HTTPConnection:
    """A new connection for the endpoint: pinned to its vetted address when it has one."""
    if endpoint.target is not None and endpoint.target.scheme == "https":
        return PinnedHTTPSConnection(endpoint.target, timeout=timeout, context=_ssl_context())
    if endpoint.target is not None:
        return pinned_connection(endpoint.target, timeout)
    if endpoint.scheme == "https":
        return http.client.HTTPSConnection(
            endpoint.host, endpoint.port, timeout=timeout, context=_ssl_context()
        )
    return http.client.HTTPConnection(endpoint.host, endpoint.port, timeout=timeout)


@functools.cache
def _ssl_context() -> ssl.SSLContext:
    """Verifying TLS that trusts what the openai client's transport trusts, plus certifi's CAs."""
    try:  # what openai's own transport trusts (system store; truststore on macOS and Windows)
        import httpcore2

        context = httpcore2.default_ssl_context()
    except (ImportError, AttributeError):
        context = None
    if context is None or context.verify_mode != ssl.CERT_REQUIRED or not context.check_hostname:
        context = ssl.create_default_context()
    try:  # older httpx trusted certifi's bundle: installs relying on it keep working
        import certifi

        context.load_verify_locations(certifi.where())
    except ImportError:
        pass
    return context


def acquire(key: tuple[str, str, int, str]) -> http.client.HTTPConnection | None:
    """An idle connection for this key, or None."""
    with _idle_lock:
        idle = _idle.get(key)
        return idle.pop() if idle else None  # LIFO: the most recently used is the likeliest alive


def release(key: tuple[str, str, int, str], conn: http.client.HTTPConnection) -> None:
    """Keep a finished connection for reuse (closed when the pool for its key is full)."""
    with _idle_lock:
        idle = _idle.setdefault(key, [])
        if len(idle) < MAX_IDLE:
            idle.append(conn)
            return
    conn.close()
