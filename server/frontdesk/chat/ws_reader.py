"""A websocket's frames read on its own request thread, not on a reader thread of its own.

simple_websocket starts a thread per socket that reads the socket and wakes the request thread
(an Event) for every frame. Every visitor message then costs two thread switches and the
Event's lock traffic, and every socket a thread's stack and a place in the GIL's queue. The
request thread has nothing else to do while it waits for a frame, so it reads the socket
itself: `NoReaderThread` is given to flask-sock as the servers' `thread_class` and never
starts, and `receive` does what that thread's loop did for one frame at a time (wsproto
parses the bytes, simple_websocket's own `_handle_events` answers pings and closes).

What a read brings is nearly always one or more whole client text frames (a visitor's
message): those are unmasked and decoded here (`_plain_texts`), which costs a tenth of
wsproto's parse and simple_websocket's event loop (about fifty Python calls per frame).
Anything else (a control frame, a fragment, a partial frame, an extension, a frame too big
or not UTF-8) goes to wsproto whole, as before, so its checks and replies are unchanged.
"""

from __future__ import annotations

import contextlib
import socket
import struct
from collections.abc import Callable
from typing import Any

from simple_websocket import ConnectionClosed
from wsproto.connection import ConnectionState
from wsproto.utilities import LocalProtocolError


class NoReaderThread:
    """Stands where simple_websocket expects its reader thread; started, it does nothing."""

    def __init__(self, *args: Any, target: Callable[[], None] | None = None, **kwargs: Any):
        self.name = "frontdesk-inline-reader"
        self.daemon = True

    def start(self) -> None:
        """Nothing to start: the request thread reads (`receive`)."""

    def is_alive(self) -> bool:
        """Never running."""
        return False

    def join(self, timeout: float | None = None) -> None:
        """Nothing to wait for."""


def reads_inline(ws: Any) -> bool:
    """Whether this socket's frames are read by `receive` (no reader thread was started)."""
    return isinstance(getattr(ws, "thread", None), NoReaderThread)


def set_receive_timeout(ws: Any, seconds: float) -> None:
    """Make a blocking read give up after `seconds` (0: wait for ever) without putting the
    socket in Python's timeout mode, which would change how other threads' sends block."""
    sock = getattr(ws, "sock", None)
    if sock is None:
        return
    whole = int(seconds)
    with contextlib.suppress(OSError):
        sock.setsockopt(
            socket.SOL_SOCKET,
            socket.SO_RCVTIMEO,
            struct.pack("ll", whole, int((seconds - whole) * 1_000_000)),
        )


def receive(ws: Any) -> str | bytes | None:
    """The next message; None when the receive timeout passes with nothing (a quiet line).

    Raises ConnectionClosed when the client closed, the connection broke, or a frame broke
    the protocol or the size limit (simple_websocket has then sent the close frame).
    """
    while ws.connected and not ws.input_buffer:
        try:
            data = ws.sock.recv(ws.receive_bytes)
        except (BlockingIOError, TimeoutError):  # SO_RCVTIMEO: nothing arrived in time
            return None
        except OSError:
            data = b""
        if not data:
            ws.connected = False
            break
        texts = _plain_texts(ws, data)
        if texts is not None:
            ws.input_buffer.extend(texts)
            break
        ws.ws.receive_data(data)
        try:
            ws.connected = ws._handle_events()
        except (LocalProtocolError, OSError):  # OSError: the pong or close reply found the
            ws.connected = False  # client gone (a broken pipe), as a failed recv does above
    if ws.input_buffer:
        return ws.input_buffer.pop(0)
    raise ConnectionClosed(ws.close_reason, ws.close_message)


_FIN_TEXT = 0x81  # FIN set, no RSV bits, opcode 1 (text)
_MASKED = 0x80


def _plain_texts(ws: Any, data: bytes) -> list[str] | None:
    """The messages in `data` when it is nothing but whole, final, masked text frames of
    minimal length encoding under the size limit, with valid UTF-8, read on a connection with
    no extension and nothing of a frame or message pending in wsproto; else None (all of
    `data` then goes to wsproto: nothing is consumed here unless everything is)."""
    if not _idle(ws):
        return None
    limit = ws.max_message_size
    texts: list[str] = []
    position, end = 0, len(data)
    while position < end:
        if end - position < 6 or data[position] != _FIN_TEXT:
            return None
        size = data[position + 1]
        if not size & _MASKED:
            return None  # an unmasked client frame is a protocol error: wsproto closes
        size &= 0x7F
        start = position + 2
        if size == 126:
            size = int.from_bytes(data[start : start + 2], "big")
            start += 2
            if size < 126:
                return None  # not the minimal encoding: wsproto refuses it
        elif size == 127:
            return None  # 64 KiB or more: well past any limit of ours
        stop = start + 4 + size
        if stop > end or (limit and size > limit):
            return None
        try:
            texts.append(_unmask(data[start + 4 : stop], data[start : start + 4]).decode())
        except UnicodeDecodeError:
            return None
        position = stop
    return texts


def _idle(ws: Any) -> bool:
    """Whether wsproto holds nothing of a frame or message (and no event) and the connection
    is open without extensions: then a whole frame can be read without it."""
    connection = getattr(ws.ws, "connection", None)
    proto = getattr(connection, "_proto", None)
    decoder = getattr(proto, "_frame_decoder", None)
    return (
        decoder is not None
        and connection.state is ConnectionState.OPEN
        and not connection._events
        and proto.extensions == []
        and decoder.header is None
        and not decoder.buffer.buffer
        and proto._message_decoder.opcode is None
        and ws.incoming_message is None
    )


def _unmask(payload: bytes, mask: bytes) -> bytes:
    """A client frame's payload XORed with its 4-byte masking key (RFC 6455 5.3)."""
    size = len(payload)
    key = int.from_bytes((mask * (size // 4 + 1))[:size], "little")
    return (int.from_bytes(payload, "little") ^ key).to_bytes(size, "little")
