"""Reading a socket's frames on its request thread (chat/ws_reader.py), on a real socket pair."""

from __future__ import annotations

import socket
import struct

import pytest
from simple_websocket import ConnectionClosed, Server

from frontdesk.chat import ws_reader


def server_and_client() -> tuple[Server, socket.socket]:
    """A simple_websocket server on one end of a socket pair, as flask-sock makes it."""
    ours, theirs = socket.socketpair()
    environ = {
        "werkzeug.socket": ours,
        "HTTP_HOST": "localhost",
        "HTTP_CONNECTION": "Upgrade",
        "HTTP_UPGRADE": "websocket",
        "HTTP_SEC_WEBSOCKET_VERSION": "13",
        "HTTP_SEC_WEBSOCKET_KEY": "dGhlIHNhbXBsZSBub25jZQ==",
    }
    ws = Server(environ, thread_class=ws_reader.NoReaderThread)
    assert theirs.recv(4096).startswith(b"HTTP/1.1 101")
    return ws, theirs


def masked(opcode: int, payload: bytes) -> bytes:
    """One client frame (clients mask theirs), payload under 126 bytes."""
    mask = b"\x01\x02\x03\x04"
    body = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
    return bytes([0x80 | opcode, 0x80 | len(payload)]) + mask + body


def test_a_text_frame_is_read_on_the_calling_thread():
    ws, client = server_and_client()
    assert ws_reader.reads_inline(ws)
    client.sendall(masked(0x1, b'{"type":"ping"}'))
    assert ws_reader.receive(ws) == '{"type":"ping"}'


def test_a_client_gone_before_the_close_reply_is_a_closed_connection_not_an_error():
    ws, client = server_and_client()
    client.sendall(masked(0x8, struct.pack("!H", 1000)))
    client.close()  # the reply to the close frame now meets a broken pipe
    with pytest.raises(ConnectionClosed):
        ws_reader.receive(ws)
    assert not ws.connected
