"""A websocket's frames read on its own request thread, not on a reader thread of its own.

simple_websocket starts a thread per socket that reads the socket and wakes the request thread
(an Event) for every frame. Every visitor message then costs two thread switches and the
Event's lock traffic, and every socket a thread's stack and a place in the GIL's queue. The
request thread has nothing else to do while it waits for a frame, so it reads the socket
itself: `NoReaderThread` is given to flask-sock as the servers' `thread_class` and never
starts, and `receive` does what that thread's loop did for one frame at a time (wsproto
parses the bytes, simple_websocket's own `_handle_events` answers pings and closes).
"""

from __future__ import annotations

import contextlib
import socket
import struct
from collections.abc import Callable
from typing import Any

from simple_websocket import ConnectionClosed
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
        ws.ws.receive_data(data)
        try:
            ws.connected = ws._handle_events()
        except (LocalProtocolError, OSError):  # OSError: the pong or close reply found the
            ws.connected = False  # client gone (a broken pipe), as a failed recv does above
    if ws.input_buffer:
        return ws.input_buffer.pop(0)
    raise ConnectionClosed(ws.close_reason, ws.close_message)
