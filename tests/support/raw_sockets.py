"""Raw TCP clients that misbehave as attackers do: half-sent handshakes, oversized frames."""

from __future__ import annotations

import base64
import os
import socket
import struct

HANDSHAKE_TIMEOUT = 10.0


def upgrade_request(host: str, path: str, origin: str) -> bytes:
    """A websocket upgrade request (complete: it ends with the blank line)."""
    key = base64.b64encode(os.urandom(16)).decode()
    lines = [
        f"GET {path} HTTP/1.1", f"Host: {host}", "Upgrade: websocket", "Connection: Upgrade",
        f"Sec-WebSocket-Key: {key}", "Sec-WebSocket-Version: 13", f"Origin: {origin}",
    ]  # fmt: skip
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


def open_websocket(port: int, path: str, origin: str = "http://127.0.0.1") -> socket.socket:
    """A TCP socket whose upgrade was accepted (101); raises with the status otherwise."""
    sock = socket.create_connection(("127.0.0.1", port), timeout=HANDSHAKE_TIMEOUT)
    sock.sendall(upgrade_request(f"127.0.0.1:{port}", path, origin))
    head = b""
    while b"\r\n\r\n" not in head:
        part = sock.recv(4096)
        if not part:
            break
        head += part
    status = head.split(b"\r\n", 1)[0]
    if b" 101 " not in status + b" ":
        sock.close()
        raise ConnectionRefusedError(status.decode("latin-1", "replace"))
    return sock


def send_oversized_frame(sock: socket.socket, *, claimed: int, sent: int) -> None:
    """Start a masked text frame that claims `claimed` bytes and send the first `sent`."""
    # A zero mask keeps the payload valid UTF-8 text: the refusal is for its size alone.
    header = bytes([0x81, 0x80 | 127]) + struct.pack("!Q", claimed) + bytes(4)
    sock.sendall(header + b"x" * sent)


def close_code(sock: socket.socket, timeout: float = 10.0) -> int | None:
    """Read server frames until a close frame; its status code (None: the connection ended)."""
    sock.settimeout(timeout)
    data = b""
    while True:
        while len(data) >= 2:
            opcode, length = data[0] & 0x0F, data[1] & 0x7F
            offset = 2
            if length == 126:
                length, offset = struct.unpack("!H", data[2:4])[0], 4
            elif length == 127:
                length, offset = struct.unpack("!Q", data[2:10])[0], 10
            if len(data) < offset + length:
                break
            payload, data = data[offset : offset + length], data[offset + length :]
            if opcode == 0x8:
                return struct.unpack("!H", payload[:2])[0] if len(payload) >= 2 else None
        try:
            part = sock.recv(65536)
        except (ConnectionError, TimeoutError):
            return None
        if not part:
            return None
        data += part


def half_sent_handshakes(port: int, path: str, count: int, *, source: str = "127.0.0.2") -> list:
    """`count` connections from `source` that send half of an upgrade request and stop there
    (slowloris). The caller closes them."""
    request = upgrade_request(f"127.0.0.1:{port}", path, "http://127.0.0.1")
    held = []
    for _ in range(count):
        sock = socket.create_connection(
            ("127.0.0.1", port), timeout=HANDSHAKE_TIMEOUT, source_address=(source, 0)
        )
        sock.sendall(request[: len(request) // 2])
        held.append(sock)
    return held


def closed_by_peer(sock: socket.socket, timeout: float) -> bool:
    """Whether the server closes (or resets) the connection within `timeout` seconds."""
    sock.settimeout(timeout)
    try:
        return sock.recv(4096) == b""
    except ConnectionError:
        return True
    except TimeoutError:
        return False
