"""The skeleton both websockets (/ws/chat, /ws/staff) share: sends, pings, the receive loop.

One send path: a frame is written by whichever thread has it (the socket's own, a turn
worker, another socket publishing on the hub), serialized by a lock, with a send timeout. A
reader that stops reading costs a publisher at most SEND_TIMEOUT_SECONDS, once: then its socket
is dropped and the client catches up when it reconnects (frames carry seq). Nothing is queued
per socket, and a socket's frames are read on its own request thread (chat.ws_reader), so a
socket costs one thread: the server's.
"""

from __future__ import annotations

import contextlib
import logging
import socket
import struct
import threading
import time
from collections.abc import Callable
from typing import Any

from simple_websocket import ConnectionClosed
from wsproto.connection import ConnectionState
from wsproto.events import TextMessage

from frontdesk.chat import ws_reader
from frontdesk.chat.client_frames import FrameError
from frontdesk.chat.protocol import encode, error_frame, ping_frame

log = logging.getLogger(__name__)

Frame = dict[str, Any]
SEND_TIMEOUT_SECONDS = 10  # a client that stops reading must not block publishers for long
GOING_AWAY = 1001
POLICY_VIOLATION = 1008
OPEN = ConnectionState.OPEN
QUIET_PINGS = 2.5  # ping intervals without a word from the client before the socket is closed


class SocketConnection:
    """One open websocket; subclasses handle client frames (`handle`) and may `admit` them.

    Frames from the hub go through `deliver`, which holds them back until `greet` has sent the
    socket's first frame (welcome / ready), so a client never sees anything before it.
    """

    def __init__(self, ws: Any, *, ping_interval: float) -> None:
        self.ws = ws
        self.ping_interval = max(0.0, ping_interval)  # 0: no pings and no idle timeout
        self.subscriptions: list[Any] = []  # hub subscriptions, closed when the socket ends
        self.closed = False
        self._lock = threading.RLock()  # serializes sends (simple_websocket is not thread-safe)
        self._greeted = False
        self._held: list[Frame] = []
        _limit_send_time(ws)
        # Whether frames can be written as they are (no extension): fixed by the handshake.
        self._plain = _plain(getattr(getattr(ws, "ws", None), "connection", None))
        self._inline = ws_reader.reads_inline(ws)
        if self._inline:
            ws_reader.set_receive_timeout(ws, self.ping_interval)

    # -- sending -----------------------------------------------------------------------------

    def send(self, frame: Frame) -> None:
        """Send one frame; a dead or stuck socket just marks the connection closed."""
        with self._lock:
            if self.closed:
                return
            try:
                _send_text(self.ws, encode(frame), self._plain)
            except (ConnectionClosed, OSError):
                # Timed out or broken mid-frame: the stream is unusable, drop the connection.
                self.closed = True
                _abort(self.ws)

    def deliver(self, frame: Frame) -> None:
        """Hub callback: send the frame, or hold it while the greeting is not out yet."""
        with self._lock:
            if not self._greeted:
                self._held.append(frame)
            else:
                self.send(frame)

    def greet(self, greeting: Frame, keep: Callable[[Frame], bool] | None = None) -> None:
        """Send the socket's first frame, then the held hub frames (those `keep` accepts)."""
        with self._lock:
            self.send(greeting)
            for held in self._held:
                if keep is None or keep(held):
                    self.send(held)
            self._held = []
            self._greeted = True

    def close(self, code: int, reason: str) -> None:
        """Close the socket with a close frame (once)."""
        with self._lock:
            if not self.closed:
                self.closed = True
                with contextlib.suppress(ConnectionClosed, OSError):
                    self.ws.close(reason=code, message=reason)

    # -- receiving ---------------------------------------------------------------------------

    def run(self) -> None:
        """Receive and handle frames until the socket closes; ping when the line is quiet."""
        last_heard = time.monotonic()
        try:
            while not self.closed:
                if self._inline:
                    raw = ws_reader.receive(self.ws)
                else:
                    raw = self.ws.receive(timeout=self.ping_interval or None)
                now = time.monotonic()
                if raw is None:
                    if not self.ws.connected:  # ended while nobody was waiting (ReaderThread)
                        return
                    # A vanished client (half-open TCP) must not hold a thread forever.
                    if now - last_heard > QUIET_PINGS * self.ping_interval:
                        self.close(GOING_AWAY, "no answer to pings")
                        return
                    self.send(ping_frame())
                    continue
                last_heard = now
                if self.admit():
                    self._handle_safely(raw)
        except ConnectionClosed:
            pass
        finally:
            self.closed = True
            for subscription in self.subscriptions:
                subscription.close()
            # Drop the TCP connection now (the close frame, if any, is already on its way).
            # Left open, werkzeug's server would then try to read what the client still sends
            # (the rest of a frame refused with 1009), holding this thread for as long as the
            # client likes.
            _abort(self.ws)

    def admit(self) -> bool:
        """Whether to handle the frame just received (rate limits); all of them by default."""
        return True

    def handle(self, raw: str | bytes) -> None:
        """Handle one client frame; a FrameError becomes an `error` frame."""
        raise NotImplementedError

    def _handle_safely(self, raw: str | bytes) -> None:
        try:
            self.handle(raw)
        except FrameError as exc:
            self.send(error_frame(exc.code, exc.message, exc.frame_id))
        except Exception:
            log.exception("%s frame failed", type(self).__name__)
            self.send(error_frame("internal", "something went wrong; please try again"))


class ReaderThread(threading.Thread):
    """simple_websocket's reader thread, waking the socket's receive() when it ends.

    simple_websocket wakes a waiting receive() before it marks the socket closed (a frame
    refused with 1009, a reset): the receiver sees it still open and waits again, for as long
    as the ping interval. Woken once more after the reader has ended, it sees the socket closed.
    Given to flask-sock as the `thread_class` of its servers (SOCK_SERVER_OPTIONS).
    """

    def __init__(self, *args: Any, target: Callable[[], None], **kwargs: Any) -> None:
        super().__init__(*args, target=target, **kwargs)
        self._socket = getattr(target, "__self__", None)

    def run(self) -> None:
        """The reader's loop, then one more wake-up for the receiver."""
        try:
            super().run()
        finally:
            event = getattr(self._socket, "event", None)
            if event is not None:
                event.set()


def _limit_send_time(ws: Any) -> None:
    """Make blocking sends give up after SEND_TIMEOUT_SECONDS (receives are unaffected)."""
    sock = getattr(ws, "sock", None)
    if sock is None:
        return
    with contextlib.suppress(OSError):
        sock.setsockopt(
            socket.SOL_SOCKET, socket.SO_SNDTIMEO, struct.pack("ll", SEND_TIMEOUT_SECONDS, 0)
        )
    # Frames are small and come in bursts (ack, message, typing, deltas): without NODELAY,
    # Nagle's algorithm holds each one back until the previous one is acknowledged.
    with contextlib.suppress(OSError):
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)


def _send_text(ws: Any, text: str, plain: bool) -> None:
    """Send a text frame with sendall, so a send timeout raises instead of half-sending.

    simple_websocket's own send() uses socket.send(), which with SO_SNDTIMEO could write part
    of a frame and report nothing; sendall() either writes all of it or raises. `plain`:
    the connection's frames go out as they are (`_plain`, read once at the start).
    """
    if not ws.connected:
        raise ConnectionClosed(ws.close_reason, ws.close_message)
    connection = ws.ws.connection
    if plain and connection.state is OPEN:
        ws.sock.sendall(_text_frame(text.encode("utf-8")))
    else:
        ws.sock.sendall(ws.ws.send(TextMessage(data=text)))


def _plain(connection: Any) -> bool:
    """Whether a server connection's frames go out as they are: no extension in use (no
    permessage-deflate) and no fragmented message under way (wsproto's own state). Read once
    per socket: the extensions are settled by the handshake, and no fragmented message is ever
    started (every frame we send is a whole message, so wsproto's own stays unused)."""
    proto = getattr(connection, "_proto", None)
    return (
        getattr(proto, "extensions", None) == []
        and getattr(proto, "client", True) is False
        and getattr(proto, "_outbound_opcode", 0) is None
    )


def _text_frame(data: bytes) -> bytes:
    """One final, unmasked text frame (RFC 6455 5.2), as wsproto writes it for a server: the
    same bytes for a fraction of the CPU (wsproto copies the payload twice and makes several
    calls per frame, three frames or more per chat message)."""
    size = len(data)
    if size < 126:
        return bytes((0x81, size)) + data
    if size < 65536:
        return struct.pack("!BBH", 0x81, 126, size) + data
    return struct.pack("!BBQ", 0x81, 127, size) + data


def _abort(ws: Any) -> None:
    """Shut the TCP connection down so the reader thread and the receive loop end."""
    sock = getattr(ws, "sock", None)
    if sock is not None:
        with contextlib.suppress(OSError):
            sock.shutdown(socket.SHUT_RDWR)
