"""The streaming path's HTTP/1.1 reader and writer, on real sockets fed byte by byte or at once.

The fake provider (tests/assistant/test_http_stream.py) covers the common answers end to end;
these feed the awkward ones straight onto a socket pair: bodies cut at every byte, interim
answers, framing by length or by close, and what may not be reused.
"""

from __future__ import annotations

import http.client
import json
import socket
import threading

import pytest

from frontdesk.assistant.llm.http_wire import (
    Response,
    encode_body,
    receive_within,
    request_head,
    send_request,
)

CHUNKED = (
    b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nTransfer-Encoding: chunked\r\n\r\n"
    b"9\r\ndata: a\r\n\r\n2;ext=1\r\n\n\n\r\n0\r\nX-Trailer: t\r\n\r\n"
)


def respond(raw: bytes, *, pieces: int = 1, close: bool = True) -> Response:
    """A Response read from a socket whose peer writes `raw` in `pieces` writes."""
    ours, theirs = socket.socketpair()
    ours.settimeout(5)
    size = max(1, -(-len(raw) // pieces))

    def write() -> None:
        for start in range(0, len(raw), size):
            theirs.sendall(raw[start : start + size])
        if close:
            theirs.close()

    threading.Thread(target=write, daemon=True).start()
    return Response(ours)


def body(response: Response) -> bytes:
    parts = []
    while part := response.read1(3):  # small reads: the chunk bookkeeping across calls
        parts.append(part)
    return b"".join(parts)


@pytest.mark.parametrize("pieces", [1, 2, 7, len(CHUNKED)])  # len: one byte per write
def test_a_chunked_body_is_the_same_however_the_bytes_arrive(pieces):
    response = respond(CHUNKED, pieces=pieces, close=False)
    assert (response.status, response.reason) == (200, "OK")
    assert response.headers["content-type"] == "text/event-stream"
    assert body(response) == b"data: a\r\n\n\n"
    assert response.done and response.reusable  # trailers read, nothing left over


def test_interim_answers_are_skipped_and_headers_read_as_http_client_reads_them():
    raw = (
        b"HTTP/1.1 100 Continue\r\n\r\n"
        b"HTTP/1.1 200 OK\r\nX-A: 1\r\nx-a: 2\r\nbroken line\r\nContent-Length: 4\r\n\r\nbody"
    )
    response = respond(raw, close=False)
    assert response.status == 200
    assert response.headers["x-a"] == "1, 2"
    assert body(response) == b"body" and response.reusable


def test_a_body_without_length_ends_with_the_connection_which_is_not_reused():
    response = respond(b"HTTP/1.1 200 OK\r\n\r\nall of it")
    assert body(response) == b"all of it"
    assert response.done and not response.reusable


@pytest.mark.parametrize(
    "raw",
    [
        b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nshort",
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n9\r\ncut",
    ],
)
def test_a_body_cut_short_raises_incomplete_read(raw):
    response = respond(raw)
    with pytest.raises(http.client.IncompleteRead):
        body(response)


def test_a_connection_that_asks_to_close_or_sends_more_is_not_reused():
    close = respond(b"HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 2\r\n\r\nok")
    assert body(close) == b"ok" and not close.reusable
    old = respond(b"HTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\nok")
    assert body(old) == b"ok" and not old.reusable
    extra = respond(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nokEXTRA", close=False)
    assert body(extra) == b"ok" and not extra.reusable


def test_no_answer_or_not_http_raises_http_clients_errors():
    with pytest.raises(http.client.RemoteDisconnected):
        respond(b"")
    with pytest.raises(http.client.BadStatusLine):
        respond(b"<html>hello</html>\r\n\r\n")
    with pytest.raises(http.client.LineTooLong):
        respond(b"HTTP/1.1 200 OK\r\nX: " + b"a" * 70000)


def test_the_request_is_written_as_http_client_writes_it_in_one_send():
    head = request_head("POST", "::1", 8080, 80, "/v1/x?v=2", {"Authorization": "Bearer k"})
    ours, theirs = socket.socketpair()
    send_request(ours, head, b'{"a":1}')
    ours.close()
    written = theirs.recv(65536)
    assert written == (
        b"POST /v1/x?v=2 HTTP/1.1\r\nHost: [::1]:8080\r\nAccept-Encoding: identity\r\n"
        b'Authorization: Bearer k\r\nContent-Length: 7\r\n\r\n{"a":1}'
    )
    assert b"Host: example.com\r\n" in request_head("POST", "example.com", 443, 443, "/", {})
    long_label = "a" * 64 + ".example"  # ASCII but not valid IDNA: sent as it is
    assert f"Host: {long_label}\r\n".encode() in request_head("POST", long_label, 80, 80, "/", {})
    assert b"Host: xn--bcher-kva.example\r\n" in request_head(
        "POST", "bücher.example", 80, 80, "/", {}
    )
    for bad in ({"X-A": "v\r\nInjected: 1"}, {"Bad Name:": "v"}):
        with pytest.raises(ValueError):
            request_head("POST", "example.com", 443, 443, "/", bad)


def test_a_body_with_tools_encodes_to_the_same_json_and_each_list_is_its_own():
    tools = [{"type": "function", "function": {"name": "a", "description": "é"}}]
    body = {"model": "m", "messages": [{"role": "user", "content": "hi"}], "tools": tools}
    first = encode_body(body)
    assert json.loads(first) == body and "é" in first  # not escaped, as before
    assert encode_body(body) == first  # the cached encoding
    other = [{"type": "function", "function": {"name": "b"}}]
    assert json.loads(encode_body({**body, "tools": other}))["tools"] == other
    assert json.loads(encode_body({"tools": tools})) == {"tools": tools}
    assert json.loads(encode_body({"model": "m", "tools": []})) == {"model": "m", "tools": []}
    with pytest.raises(ValueError):  # NaN is not JSON, with tools or without
        encode_body({"temperature": float("nan"), "tools": tools})


def test_the_first_bytes_are_awaited_briefly_and_nothing_received_is_lost():
    ours, theirs = socket.socketpair()
    assert receive_within(ours, 0.05, 5.0) is None  # not yet: the caller shows typing
    assert ours.gettimeout() == 5.0
    theirs.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n")
    first = receive_within(ours, 1.0, 5.0)
    theirs.sendall(b"ok")
    response = Response(ours, first)
    assert (response.status, body(response)) == (200, b"ok")
    theirs.close()
    assert receive_within(ours, 1.0, 5.0) == b""  # closed before answering
    with pytest.raises(http.client.RemoteDisconnected):
        Response(ours, b"")
    assert receive_within(ours, 0, 5.0) is None  # no grace: no wait
