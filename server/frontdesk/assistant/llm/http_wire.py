"""HTTP/1.1 on a connected socket for the streaming path: the request in one send, the response
read straight off the socket.

http.client spends about 130 µs of CPU on one streamed completion: each header validated and
buffered one call at a time, the head and the body sent in two writes, the response's headers
parsed by the email package and a chunked body read line by line through a buffered file. This
does the same work in about 40 µs: the request's head is built once per endpoint and sent with
the body in one write (the JSON body with the shared tool schemas encoded once), and the
response is parsed from whole blocks of received bytes.
Connections are still http.client's (connect, TLS with the server name, pinning to a vetted
address); only the bytes on the wire are handled here. Malformed responses raise http.client's
own exceptions, so callers see the failures they saw before.
"""

from __future__ import annotations

import http.client
import json
import re
import socket
from collections.abc import Mapping
from typing import Any

MAX_HEAD = 65536  # bytes of status line and headers (http.client allows 100 headers of 64 KiB)
RECV_SIZE = 65536
# What http.client refuses in a header's name and value (no CR, LF or other control bytes).
_LEGAL_NAME = re.compile(rb"^[^:\s][^:\r\n]*$")
_ILLEGAL_VALUE = re.compile(rb"\n(?![ \t])|\r(?![ \t\n])")


# `tools` lists sent again and again unchanged (the toolbox's shared schemas, ~2.7 KB of JSON
# that took ~28 µs to encode per request): encoded once per list object, which is kept alive
# here so its id() is not reused while the entry stands.
_encoded_lists: dict[int, tuple[list, str]] = {}
MAX_ENCODED_LISTS = 8


# json.dumps with options builds a new encoder each call; this one is made once. It keeps the
# circular-reference check (a request carries tool results) and refuses NaN, as before.
_encoder = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False, allow_nan=False)


def _dumps(value: Any) -> str:
    return _encoder.encode(value)


def encode_body(body: Mapping[str, Any]) -> str:
    """The request's JSON; its `tools` list is encoded once per list object, so a caller
    passes the same list only while it is unchanged (the toolbox's specs are shared and
    read-only)."""
    tools = body.get("tools")
    if type(tools) is not list or not tools:
        return _dumps(body)
    cached = _encoded_lists.get(id(tools))
    if cached is None or cached[0] is not tools:
        cached = (tools, _dumps(tools))
        if len(_encoded_lists) >= MAX_ENCODED_LISTS:
            _encoded_lists.clear()
        _encoded_lists[id(tools)] = cached
    rest = _dumps({key: value for key, value in body.items() if key != "tools"})
    return rest[:-1] + ("," if len(rest) > 2 else "") + '"tools":' + cached[1] + "}"


def request_head(method: str, host: str, port: int, default_port: int, path: str,
                 headers: Mapping[str, str]) -> bytes:  # fmt: skip
    """A request's head up to (not including) its Content-Length and the blank line, as
    http.client writes it (Host, Accept-Encoding: identity, then the headers in order).
    ValueError: a header http.client would refuse."""
    if ":" in host:  # an IPv6 address
        host = f"[{host}]"
    host_value = host if port == default_port else f"{host}:{port}"
    try:  # as http.client: ASCII as it is, IDNA only for other names
        host_bytes = host_value.encode("ascii")
    except UnicodeEncodeError:
        host_bytes = host_value.encode("idna")
    lines = [f"{method} {path} HTTP/1.1".encode("ascii"), b"Host: " + host_bytes]
    lines.append(b"Accept-Encoding: identity")
    for name, value in headers.items():
        name_bytes, value_bytes = name.encode("ascii"), value.encode("latin-1")
        if not _LEGAL_NAME.match(name_bytes) or _ILLEGAL_VALUE.search(value_bytes):
            raise ValueError(f"invalid header {name!r}")
        lines.append(name_bytes + b": " + value_bytes)
    return b"\r\n".join(lines) + b"\r\n"


def send_request(sock: socket.socket, head: bytes, body: bytes) -> None:
    """Write the request (head, Content-Length, body) in one send."""
    sock.sendall(b"%sContent-Length: %d\r\n\r\n%s" % (head, len(body), body))


def receive_within(sock: socket.socket, within: float, timeout: float) -> bytes | None:
    """The response's first bytes if they arrive within `within` seconds, else None (nothing
    is lost: the Response receives them later); b"": the server closed. The socket's timeout
    is `timeout` again afterwards. One blocking receive, where a readiness check and then a
    receive took two; and over TLS it waits for the answer itself, not for any record (a TLS
    1.3 server's session tickets make a fresh socket readable before it answers)."""
    if within <= 0:
        return None
    sock.settimeout(within)
    try:
        return sock.recv(RECV_SIZE)
    except TimeoutError:
        return None
    finally:
        sock.settimeout(timeout)


class Response:
    """A response being read from a socket: status, headers and a body read with read1().

    `first`: bytes already received from the socket (receive_within); b"" when it closed."""

    def __init__(self, sock: socket.socket, first: bytes | None = None) -> None:
        self._sock = sock
        self._closed = first == b""  # the server closed before answering
        self._buffer = first or b""  # received and not yet consumed
        self._length: int | None = None  # Content-Length left, None: chunked or until close
        self._chunked = False
        self._chunk_left = 0  # bytes of the current chunk not yet returned
        self._need_crlf = False  # the CRLF after a chunk's data is still to be consumed
        self.done = False  # the body was read to its end
        self.status, self.reason, self.headers, self.will_close = self._read_head()
        self._frame_body()

    # -- the head ----------------------------------------------------------------------------

    def _read_head(self) -> tuple[int, str, dict[str, str], bool]:
        while True:  # informational answers (100 Continue) come before the real one
            head = self._take_head()
            lines = head.split(b"\r\n")
            version, status, reason = _status_line(lines[0])
            if not 100 <= status < 200 or status == 101:
                break
        headers: dict[str, str] = {}
        for line in lines[1:]:
            name, colon, value = line.partition(b":")
            if not colon:
                continue  # as http.client (the email parser) does with a broken line
            key = name.strip().decode("latin-1").lower()
            text = value.strip().decode("latin-1")
            headers[key] = f"{headers[key]}, {text}" if key in headers else text
        tokens = {token.strip() for token in headers.get("connection", "").lower().split(",")}
        keep_alive = "keep-alive" in tokens or "keep-alive" in headers
        will_close = "close" in tokens or (version == "HTTP/1.0" and not keep_alive)
        return status, reason, headers, will_close

    def _take_head(self) -> bytes:
        """The next head (up to its blank line) from the buffer, receiving as needed."""
        start = 0
        while True:
            end = self._buffer.find(b"\r\n\r\n", start)
            if end >= 0:
                head, self._buffer = self._buffer[:end], self._buffer[end + 4 :]
                return head
            if len(self._buffer) > MAX_HEAD:
                raise http.client.LineTooLong("response head")
            start = max(0, len(self._buffer) - 3)
            block = b"" if self._closed else self._sock.recv(RECV_SIZE)
            if not block:
                if not self._buffer:  # closed before answering (e.g. an idle pooled connection)
                    raise http.client.RemoteDisconnected("closed connection without response")
                raise http.client.BadStatusLine(self._buffer[:200].decode("latin-1"))
            self._buffer += block

    def _frame_body(self) -> None:
        """How the body ends: chunked, by Content-Length, or when the server closes."""
        if "chunked" in self.headers.get("transfer-encoding", "").lower():
            self._chunked = True
        elif "content-length" in self.headers:
            try:
                self._length = int(self.headers["content-length"])
            except ValueError:
                self._length = None
            if self._length is not None and self._length < 0:
                self._length = None
        if self.status in (204, 304) or self._length == 0:
            self._length, self.done = 0, True
        if not self._chunked and self._length is None:
            self.will_close = True  # the body ends when the connection does

    @property
    def reusable(self) -> bool:
        """Whether the connection may carry another request: the body was read to its end,
        nothing follows it, and neither side asked to close."""
        return self.done and not self.will_close and not self._buffer

    # -- the body ----------------------------------------------------------------------------

    def read1(self, limit: int = RECV_SIZE) -> bytes:
        """Some of the body (at most `limit` bytes, receiving only when nothing is buffered);
        b"" at its end. http.client.IncompleteRead: the server closed in mid-body."""
        if self.done:
            return b""
        if self._chunked:
            return self._read_chunks(limit)
        if not self._buffer and not self._receive():
            if self._length is not None:
                raise http.client.IncompleteRead(b"", self._length)
            self.done = True  # a body delimited by the connection's end
            return b""
        size = limit if self._length is None else min(limit, self._length)
        data, self._buffer = self._buffer[:size], self._buffer[size:]
        if self._length is not None:
            self._length -= len(data)
            self.done = self._length == 0
        return data

    def read(self, limit: int) -> bytes:
        """The body up to `limit` bytes (an error's message)."""
        parts, size = [], 0
        while size < limit and (part := self.read1(limit - size)):
            parts.append(part)
            size += len(part)
        return b"".join(parts)

    def _read_chunks(self, limit: int) -> bytes:
        parts: list[bytes] = []
        size = 0
        while size < limit and not self.done:
            if self._chunk_left:
                if not self._buffer and (parts or not self._receive()):
                    if parts:
                        break  # return what is here; the rest comes with the next call
                    raise http.client.IncompleteRead(b"", self._chunk_left)
                piece = self._buffer[: min(self._chunk_left, limit - size)]
                self._buffer = self._buffer[len(piece) :]
                self._chunk_left -= len(piece)
                parts.append(piece)
                size += len(piece)
                if not self._chunk_left:
                    self._need_crlf = True
                continue
            line = self._chunk_line(wait=not parts)
            if line is None:
                break
            self._start_chunk(line)
        return b"".join(parts)

    def _chunk_line(self, *, wait: bool) -> bytes | None:
        """The next chunk-size line (after the previous chunk's CRLF); None: not yet here and
        `wait` is false."""
        while True:
            if self._need_crlf and len(self._buffer) >= 2:
                if self._buffer[:2] != b"\r\n":
                    raise http.client.IncompleteRead(b"")  # as http.client: a broken chunk
                self._buffer, self._need_crlf = self._buffer[2:], False
            end = -1 if self._need_crlf else self._buffer.find(b"\r\n")
            if end >= 0:
                line, self._buffer = self._buffer[:end], self._buffer[end + 2 :]
                return line
            if not wait:
                return None
            if len(self._buffer) > MAX_HEAD:
                raise http.client.LineTooLong("chunk size")
            if not self._receive():
                raise http.client.IncompleteRead(b"")

    def _start_chunk(self, line: bytes) -> None:
        try:
            size = int(line.split(b";", 1)[0], 16)
        except ValueError:
            raise http.client.IncompleteRead(b"") from None  # http.client's answer too
        if size:
            self._chunk_left = size
            return
        while (trailer := self._chunk_line(wait=True)) is not None and trailer:
            pass  # trailers are read and ignored, up to the blank line
        self.done = True

    def _receive(self) -> bool:
        """Receive one block into the buffer; False when the server has closed."""
        block = self._sock.recv(RECV_SIZE)
        self._buffer += block
        return bool(block)


def _status_line(line: bytes) -> tuple[str, int, str]:
    """(version, status, reason) of a status line; BadStatusLine when it is not one."""
    text = line.decode("latin-1")
    version, _, rest = text.partition(" ")
    code, _, reason = rest.partition(" ")
    if not version.startswith("HTTP/") or len(code) != 3 or not code.isdigit():
        raise http.client.BadStatusLine(text[:200])
    return version, int(code), reason.strip()
