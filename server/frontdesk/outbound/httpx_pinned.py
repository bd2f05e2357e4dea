"""An httpx client (the openai library's transport) that connects only to the vetted address.

The URL's host still goes out as the Host header and as the TLS server name (so certificates are
verified against the name); only the TCP connect is redirected to `Target.address`. A request
for any other host (a redirect, say) is refused rather than resolved: no second DNS lookup.
"""

from __future__ import annotations

from collections.abc import Iterable

from frontdesk.outbound.guard import Target


def _backend(target: Target):
    import httpcore2

    class PinnedBackend(httpcore2.SyncBackend):
        """Dials the target's checked address for its host, and nothing else."""

        def connect_tcp(
            self,
            host: str,
            port: int,
            timeout: float | None = None,
            local_address: str | None = None,
            socket_options: Iterable | None = None,
        ):
            if host.strip("[]").lower() != target.host.lower() or port != target.port:
                raise httpcore2.ConnectError(f"{host}:{port} was not checked by the guard")
            return super().connect_tcp(target.address, port, timeout, local_address, socket_options)

    return PinnedBackend()


def pinned_httpx_client(target: Target, timeout: float):
    """An `httpx2.Client` whose connections go to `target.address` only (no proxies from the
    environment: a proxy would do its own DNS lookup)."""
    import httpcore2
    import httpx2

    transport = httpx2.HTTPTransport(trust_env=False)
    # The transport's own pool, rebuilt with the pinned network backend (httpx exposes no
    # other way to choose how a connection is dialled); same defaults otherwise.
    transport._pool = httpcore2.ConnectionPool(
        ssl_context=httpx2.create_ssl_context(trust_env=False),
        max_connections=100,
        max_keepalive_connections=20,
        keepalive_expiry=5.0,
        network_backend=_backend(target),
    )
    return httpx2.Client(transport=transport, timeout=timeout, trust_env=False)
