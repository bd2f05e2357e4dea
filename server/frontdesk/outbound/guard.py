"""The one guard for server-side fetches of user-supplied URLs (knowledge, calendars, providers).

A URL passes when it is http(s), names a host, carries no credentials, and every address its
host resolves to is public — unless the operator allowed private addresses, or allowed that
host (e.g. a local Ollama on 127.0.0.1:11434). The address that was checked is returned so that
the connection goes to it and only it: no second DNS lookup, no DNS-rebinding gap.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from urllib.parse import urlsplit

DEFAULT_PORTS = {"http": 80, "https": 443}
MAX_URL_CHARS = 2048

Resolver = Callable[[str, int], list[str]]


class BlockedURL(ValueError):
    """A URL the guard refuses; the message is safe to show to the person who gave it."""


@dataclass(frozen=True)
class OutboundPolicy:
    """What the operator allows beyond the public internet."""

    allow_private: bool = False  # loopback, private, link-local... all allowed (tests, intranets)
    allowed_hosts: frozenset[str] = frozenset()  # "host" or "host:port", allowed whatever they are

    @classmethod
    def from_values(cls, allow_private: bool, allowed_hosts: Iterable[str] | str = ()):
        """A policy from configuration values (hosts as a list or a comma-separated string)."""
        if isinstance(allowed_hosts, str):
            allowed_hosts = allowed_hosts.split(",")
        hosts = frozenset(h.strip().lower() for h in allowed_hosts if h and h.strip())
        return cls(allow_private=bool(allow_private), allowed_hosts=hosts)

    def allows_host(self, host: str, port: int) -> bool:
        """Whether the operator named this host (with or without its port) as allowed."""
        host = host.lower().strip("[]")
        return host in self.allowed_hosts or f"{host}:{port}" in self.allowed_hosts


@dataclass(frozen=True)
class Target:
    """A vetted URL and the one address to connect to for it."""

    url: str
    scheme: str
    host: str  # as written in the URL (sent as Host and as the TLS server name)
    port: int
    address: str  # the checked IP address

    @property
    def origin(self) -> str:
        """scheme://host[:port] as in the URL."""
        default = DEFAULT_PORTS[self.scheme] == self.port
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{self.scheme}://{host}" + ("" if default else f":{self.port}")


def system_resolver(host: str, port: int) -> list[str]:
    """Every address the host resolves to (TCP), in the resolver's order."""
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(info[4][0] for info in infos))


def vet_url(url: str, policy: OutboundPolicy, resolve: Resolver = system_resolver) -> Target:
    """Check a URL against the policy and resolve it once; raises BlockedURL with the reason."""
    url = (url or "").strip()
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if len(url) > MAX_URL_CHARS or scheme not in DEFAULT_PORTS or not parts.hostname:
        raise BlockedURL("Give a web address starting with http:// or https://.")
    if parts.username is not None or parts.password is not None:
        raise BlockedURL("Put user names and passwords in their own fields, not in the address.")
    try:
        port = parts.port or DEFAULT_PORTS[scheme]
    except ValueError:
        raise BlockedURL("The address has an invalid port.") from None
    host = parts.hostname
    try:
        addresses = resolve(host, port)
    except (OSError, UnicodeError):
        raise BlockedURL(f"The host {host} cannot be found.") from None
    if not addresses:
        raise BlockedURL(f"The host {host} cannot be found.")
    if not (policy.allow_private or policy.allows_host(host, port)):
        for address in addresses:
            if not is_public(address):
                raise BlockedURL(f"{host} is a private or local address; it is not contacted.")
    return Target(url=url, scheme=scheme, host=host, port=port, address=addresses[0])


def is_public(address: str) -> bool:
    """Whether an IP address is globally routable (not loopback, private, link-local, ...)."""
    ip = ipaddress.ip_address(address.split("%")[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped  # ::ffff:127.0.0.1 is loopback, whatever its v6 spelling
    return ip.is_global and not ip.is_multicast
