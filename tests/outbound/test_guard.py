"""The outbound guard: which URLs pass, and that connections go to the address it checked."""

from __future__ import annotations

import http.server
import threading
import urllib.error

import pytest

from frontdesk.outbound.connections import guarded_opener, pinned_connection
from frontdesk.outbound.guard import BlockedURL, OutboundPolicy, is_public, vet_url

STRICT = OutboundPolicy()


def resolver(mapping: dict[str, list[str]]):
    """A resolver answering from a table, as a DNS server an attacker controls might."""
    return lambda host, port: mapping[host]


@pytest.mark.parametrize(
    "url",
    [
        "ftp://example.com/x",
        "file:///etc/passwd",
        "gopher://example.com/",
        "http:///no-host",
        "https://user:secret@example.com/",
        "http://example.com:99999/",
        "javascript:alert(1)",
        "",
    ],
)
def test_refuses_what_is_not_a_plain_web_address(url):
    with pytest.raises(BlockedURL):
        vet_url(url, STRICT, resolver({"example.com": ["93.184.216.34"]}))


@pytest.mark.parametrize(
    "address",
    [
        "127.0.0.1",
        "127.8.9.10",
        "10.0.0.5",
        "172.16.3.4",
        "192.168.1.1",
        "169.254.169.254",  # cloud metadata
        "100.64.0.1",  # carrier-grade NAT
        "0.0.0.0",
        "::1",
        "fe80::1",
        "fd00::1",
        "::ffff:127.0.0.1",
        "224.0.0.1",
    ],
)
def test_refuses_internal_addresses(address):
    assert not is_public(address)
    with pytest.raises(BlockedURL, match="private or local"):
        vet_url("https://internal.example/", STRICT, resolver({"internal.example": [address]}))


def test_refuses_a_host_with_any_internal_address():
    both = resolver({"mixed.example": ["93.184.216.34", "127.0.0.1"]})
    with pytest.raises(BlockedURL):
        vet_url("https://mixed.example/", STRICT, both)


def test_real_resolution_of_localhost_is_refused():
    with pytest.raises(BlockedURL):
        vet_url("http://localhost:8080/", STRICT)


def test_an_unknown_host_is_a_clear_refusal():
    with pytest.raises(BlockedURL, match="cannot be found"):
        vet_url("https://no-such-host.invalid/", STRICT)


def test_public_address_passes_and_is_pinned():
    target = vet_url(
        "https://calendar.example/ics?x=1",
        STRICT,
        resolver({"calendar.example": ["93.184.216.34"]}),
    )
    assert (target.scheme, target.host, target.port) == ("https", "calendar.example", 443)
    assert target.address == "93.184.216.34"
    assert target.origin == "https://calendar.example"


def test_operator_may_allow_private_addresses_or_one_host():
    loopback = resolver({"localhost": ["127.0.0.1"]})
    assert vet_url("http://localhost:11434/v1", OutboundPolicy(allow_private=True), loopback)
    only_ollama = OutboundPolicy.from_values(False, "localhost:11434, other.internal")
    assert vet_url("http://localhost:11434/v1", only_ollama, loopback).address == "127.0.0.1"
    with pytest.raises(BlockedURL):
        vet_url("http://localhost:6379/", only_ollama, loopback)


class _EchoHost(http.server.BaseHTTPRequestHandler):
    def do_GET(self):  # noqa: N802
        if self.path.startswith("/redirect"):
            self.send_response(302)
            self.send_header("Location", self.server.redirect_to)
            self.end_headers()
            return
        body = self.headers["Host"].encode()
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture
def local_server():
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _EchoHost)
    server.redirect_to = ""
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    thread.join(timeout=5)


def test_connection_goes_to_the_checked_address_not_a_new_lookup(local_server):
    port = local_server.server_address[1]
    # The name does not resolve on this machine: only the pinned address can reach the server.
    policy = OutboundPolicy.from_values(False, [f"tenant-calendar.invalid:{port}"])
    target = vet_url(
        f"http://tenant-calendar.invalid:{port}/feed",
        policy,
        resolver({"tenant-calendar.invalid": ["127.0.0.1"]}),
    )
    connection = pinned_connection(target, timeout=5)
    connection.request("GET", "/feed")
    answer = connection.getresponse()
    assert answer.status == 200
    assert answer.read() == f"tenant-calendar.invalid:{port}".encode()
    connection.close()


def test_guarded_opener_vets_every_redirect_hop(local_server):
    port = local_server.server_address[1]
    local_server.redirect_to = f"http://127.0.0.2:{port}/"
    opener = guarded_opener(OutboundPolicy.from_values(False, [f"127.0.0.1:{port}"]))
    assert (
        opener.open(f"http://127.0.0.1:{port}/", timeout=5).read() == f"127.0.0.1:{port}".encode()
    )
    with pytest.raises((BlockedURL, urllib.error.URLError)) as caught:
        opener.open(f"http://127.0.0.1:{port}/redirect", timeout=5)
    assert "private or local" in str(caught.value)


def test_guarded_opener_refuses_a_private_url_before_connecting():
    opener = guarded_opener(STRICT)
    with pytest.raises((BlockedURL, urllib.error.URLError)) as caught:
        opener.open("http://127.0.0.1:9/", timeout=5)
    assert "private or local" in str(caught.value)
