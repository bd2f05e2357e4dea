"""A minimal websocket client for the load generator: many sockets, one thread, one epoll.

websocket-client needs a reader thread per socket; at 700 sockets the generator's own GIL
queueing inflated the latencies it measured and took CPU from the servers under test. Here
every socket is read by whoever runs `Loop.pump` (the generator's one thread), each frame is
timestamped when its bytes come off the socket, and sends are masked text frames as RFC 6455
requires of a client (the server pays the same unmasking as with any browser).
"""

from __future__ import annotations

import base64
import contextlib
import os
import selectors
import socket
import time
from collections import deque
from collections.abc import Callable
from urllib.parse import urlsplit

OP_CONT, OP_TEXT, OP_BINARY, OP_CLOSE, OP_PING, OP_PONG = 0, 1, 2, 8, 9, 10


def frame(opcode: int, payload: bytes) -> bytes:
    """One client frame: FIN set, masked with a fresh key."""
    size = len(payload)
    if size < 126:
        header = bytes((0x80 | opcode, 0x80 | size))
    elif size < 1 << 16:
        header = bytes((0x80 | opcode, 0x80 | 126)) + size.to_bytes(2, "big")
    else:
        header = bytes((0x80 | opcode, 0x80 | 127)) + size.to_bytes(8, "big")
    key = os.urandom(4)
    # XOR as one big integer: a Python loop over the bytes would cost the generator ~100x more.
    mask = int.from_bytes((key * (size // 4 + 1))[:size], "big")
    return header + key + (int.from_bytes(payload, "big") ^ mask).to_bytes(size, "big")


class WebSocket:
    """One client socket: a blocking handshake, then frames sent whole and parsed as they come."""

    def __init__(self, url: str, *, origin: str, timeout: float = 60.0) -> None:
        parts = urlsplit(url)
        self.sock = socket.create_connection((parts.hostname, parts.port or 80), timeout=timeout)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        key = base64.b64encode(os.urandom(16)).decode()
        target = parts.path + (f"?{parts.query}" if parts.query else "")
        request = (
            f"GET {target} HTTP/1.1\r\nHost: {parts.netloc}\r\nUpgrade: websocket\r\n"
            f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\n"
            f"Sec-WebSocket-Version: 13\r\nOrigin: {origin}\r\n\r\n"
        )
        self.sock.sendall(request.encode())
        self.buffer = bytearray()
        while b"\r\n\r\n" not in self.buffer:
            chunk = self.sock.recv(4096)
            if not chunk:
                raise ConnectionError("closed during the websocket handshake")
            self.buffer += chunk
        head, _, rest = bytes(self.buffer).partition(b"\r\n\r\n")
        if not head.startswith(b"HTTP/1.1 101"):
            raise ConnectionError(f"websocket handshake refused: {head.splitlines()[0]!r}")
        self.buffer = bytearray(rest)
        self.fragments: list[bytes] = []
        self.closed = False
        self.inbox: deque[str] = deque(self.parse())  # parsed, not yet taken by recv

    def fileno(self) -> int:
        """The socket's descriptor (for the selector)."""
        return self.sock.fileno()

    def send(self, text: str) -> None:
        """Send one text message."""
        self.sock.sendall(frame(OP_TEXT, text.encode()))

    def recv(self) -> str:
        """Block until one whole message has come (the handshake's hello / welcome)."""
        while not self.inbox:
            self.read()
            self.inbox.extend(self.parse())
        return self.inbox.popleft()

    def read(self) -> None:
        """Take what the socket has (one recv); EOFError once the peer has closed."""
        chunk = self.sock.recv(262144)
        if not chunk:
            self.closed = True
            raise EOFError
        self.buffer += chunk

    def parse(self) -> list[str]:
        """The whole messages in the buffer (answering pings, noting a close)."""
        buf, pos, found = self.buffer, 0, []
        while len(buf) - pos >= 2:
            first, second = buf[pos], buf[pos + 1]
            size, head = second & 0x7F, 2
            if size == 126:
                size, head = int.from_bytes(buf[pos + 2 : pos + 4], "big"), 4
            elif size == 127:
                size, head = int.from_bytes(buf[pos + 2 : pos + 10], "big"), 10
            masked = second & 0x80  # servers do not mask, but a frame that is stays readable
            end = pos + head + (4 if masked else 0) + size
            if len(buf) - pos < head or len(buf) < end:
                break
            payload = bytes(buf[end - size : end])
            if masked:
                key = bytes(buf[pos + head : pos + head + 4])
                payload = bytes(b ^ key[i % 4] for i, b in enumerate(payload))
            pos = end
            opcode = first & 0x0F
            if opcode in (OP_TEXT, OP_BINARY, OP_CONT):
                self.fragments.append(payload)
                if first & 0x80:
                    found.append(b"".join(self.fragments).decode())
                    self.fragments = []
            elif opcode == OP_PING:
                self.sock.sendall(frame(OP_PONG, payload))
            elif opcode == OP_CLOSE:
                self.closed = True
        del buf[:pos]
        return found

    def close(self) -> None:
        """Send a close frame (best effort) and close the socket."""
        with contextlib.suppress(OSError):
            self.sock.sendall(frame(OP_CLOSE, (1000).to_bytes(2, "big")))
        self.sock.close()


class Loop:
    """Reads every registered socket from the calling thread: no thread per socket."""

    def __init__(self) -> None:
        self.selector = selectors.DefaultSelector()

    def register(self, ws: WebSocket, on_message: Callable[[str, float], None]) -> None:
        """Deliver each message of `ws` to on_message(text, arrival time) from now on."""
        ws.sock.settimeout(None)  # readable per epoll: recv returns at once
        self.selector.register(ws.sock, selectors.EVENT_READ, (ws, on_message))

    def unregister(self, ws: WebSocket) -> None:
        """Stop reading `ws` (before closing it)."""
        with contextlib.suppress(KeyError, ValueError):
            self.selector.unregister(ws.sock)

    def pump(self, timeout: float) -> None:
        """Wait up to `timeout` s for input and deliver every whole message that came."""
        if not self.selector.get_map():
            time.sleep(max(timeout, 0))
            return
        for key, _ in self.selector.select(max(timeout, 0)):
            ws, on_message = key.data
            try:
                ws.read()
            except (EOFError, OSError):
                self.unregister(ws)
                continue
            now = time.perf_counter()  # when the bytes came off the socket
            for text in ws.parse():
                on_message(text, now)
            if ws.closed:
                self.unregister(ws)
