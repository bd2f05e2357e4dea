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


def long_masked(opcode: int, payload: bytes) -> bytes:
    """One client frame of 126 to 65535 bytes (the 16-bit length form)."""
    mask = b"\x09\x08\x07\x06"
    body = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
    return bytes([0x80 | opcode, 0x80 | 126]) + struct.pack("!H", len(payload)) + mask + body


def test_several_whole_frames_in_one_read_come_out_in_order():
    ws, client = server_and_client()
    text = "é" * 150  # 300 bytes: the 16-bit length form
    client.sendall(masked(0x1, b'{"n":1}') + long_masked(0x1, text.encode()) + masked(0x1, b""))
    assert [ws_reader.receive(ws) for _ in range(3)] == ['{"n":1}', text, ""]


def test_a_frame_split_across_reads_is_still_read_whole():
    ws, client = server_and_client()
    frame = long_masked(0x1, b"x" * 500)
    client.sendall(frame[:3])  # wsproto holds the start; the rest must join it
    ws.receive_bytes = 3
    ws.sock.settimeout(5)
    client.sendall(frame[3:])
    assert ws_reader.receive(ws) == "x" * 500
    client.sendall(masked(0x1, b"next"))
    ws.receive_bytes = 4096
    assert ws_reader.receive(ws) == "next"


def test_a_ping_beside_a_text_frame_is_answered_and_the_text_read():
    ws, client = server_and_client()
    client.sendall(masked(0x9, b"hi") + masked(0x1, b"after"))
    assert ws_reader.receive(ws) == "after"
    assert client.recv(64) == b"\x8a\x02hi"  # the pong


@pytest.mark.parametrize(
    ("frame", "code"),
    [
        (masked(0x1, b"\xff\xfe"), 1007),  # not UTF-8
        (b"\x81\x02ok", 1002),  # a client frame without a mask
        (masked(0x1 | 0x40, b"x"), 1002),  # an RSV bit no extension uses
        (long_masked(0x1, b"x" * 65000), 1009),  # over the limit
    ],
)
def test_a_frame_the_protocol_refuses_closes_the_socket_as_before(frame, code):
    ws, client = server_and_client()
    ws.max_message_size = 60000
    client.sendall(frame)
    with pytest.raises(ConnectionClosed):
        ws_reader.receive(ws)
    reply = client.recv(64)
    assert reply[0] == 0x88 and struct.unpack("!H", reply[2:4])[0] == code


# The fast paths read wsproto's and simple_websocket's private state; pyproject.toml pins both
# to the versions verified. A new version that renames or reshapes that state would not break
# the chat (ws_reader._idle and socket_connection._plain then answer False and every frame
# takes the libraries' own path), it would silently lose the fast paths: these tests say so.
PRIVATE_STATE = (
    "ws.ws.connection._events",
    "ws.ws.connection._proto.extensions",
    "ws.ws.connection._proto.client",
    "ws.ws.connection._proto._outbound_opcode",
    "ws.ws.connection._proto._frame_decoder.header",
    "ws.ws.connection._proto._frame_decoder.buffer.buffer",
    "ws.ws.connection._proto._message_decoder.opcode",
    "ws._handle_events",
    "ws.incoming_message",
    "ws.input_buffer",
)


def test_the_private_state_the_fast_paths_read_is_there():
    ws, _client = server_and_client()
    missing = []
    for path in PRIVATE_STATE:
        value = ws
        for name in path.split(".")[1:]:
            if not hasattr(value, name):
                missing.append(path)
                break
            value = getattr(value, name)
    assert not missing, (
        f"wsproto / simple_websocket changed shape ({missing}): re-verify chat/ws_reader.py "
        "(_idle, receive) and chat/socket_connection.py (_plain) before widening the pin"
    )


def test_an_open_connection_takes_the_fast_paths_and_a_half_read_frame_does_not():
    from frontdesk.chat.socket_connection import _plain

    ws, _client = server_and_client()
    assert _plain(ws.ws.connection), "frames would no longer be written directly"
    assert ws_reader._idle(ws), "frames would no longer be read directly"
    ws.ws.receive_data(long_masked(0x1, b"x" * 500)[:3])  # wsproto now holds half a header
    assert not ws_reader._idle(ws)
