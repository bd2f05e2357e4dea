"""An instant OpenAI-compatible provider for the chat benchmark: answers before it is asked twice.

`tests/support/fake_llm.py` is the provider the tests script (quirks, failures, recorded requests); it
runs on http.server, which parses every request with the email package and starts a thread per
connection. Under benchmark load that cost lands on the shared CPUs and would be charged to the
server under test. This one is a single-threaded selector loop that reads each request only as
far as its length and writes one prebuilt streamed completion (HTTP/1.1 keep-alive, chunked
SSE: a text delta, the finish chunk, the usage chunk, `[DONE]`) in a single send.

Run: python bench/instant_llm.py  (prints "READY <base_url>")
"""

from __future__ import annotations

import json
import selectors
import socket

REPLY = "We design websites and integrate AI assistants."


def _event(data: str) -> bytes:
    payload = f"data: {data}\n\n".encode()
    return b"%x\r\n%s\r\n" % (len(payload), payload)


def _chunk(choice: dict | None, usage: dict | None = None) -> str:
    body = {"id": "chatcmpl-instant", "object": "chat.completion.chunk", "created": 0,
            "model": "instant", "choices": [] if choice is None else [choice]}  # fmt: skip
    if usage is not None:
        body["usage"] = usage
    return json.dumps(body)


def streamed_response() -> bytes:
    """The whole HTTP response: headers and a chunked SSE body."""
    usage = {"prompt_tokens": 1200, "completion_tokens": 9, "total_tokens": 1209}
    events = [
        _chunk({"index": 0, "delta": {"role": "assistant", "content": REPLY}}),
        _chunk({"index": 0, "delta": {}, "finish_reason": "stop"}),
        _chunk(None, usage),
        "[DONE]",
    ]
    head = (
        b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\n"
        b"Cache-Control: no-cache\r\nTransfer-Encoding: chunked\r\n\r\n"
    )
    return head + b"".join(_event(event) for event in events) + b"0\r\n\r\n"


class InstantLLM:
    """Answers every POST with the same streamed completion, on one thread."""

    def __init__(self) -> None:
        self.response = streamed_response()
        self.listener = socket.create_server(("127.0.0.1", 0), backlog=1024)
        self.listener.setblocking(False)
        self.selector = selectors.DefaultSelector()
        self.selector.register(self.listener, selectors.EVENT_READ)
        self.buffers: dict[socket.socket, bytearray] = {}

    @property
    def base_url(self) -> str:
        """The `base_url` for the openai client."""
        return f"http://127.0.0.1:{self.listener.getsockname()[1]}/v1"

    def serve_forever(self) -> None:
        """Accept, read, answer; never returns."""
        while True:
            for key, _ in self.selector.select():
                if key.fileobj is self.listener:
                    self._accept()
                else:
                    self._read(key.fileobj)

    def _accept(self) -> None:
        conn, _ = self.listener.accept()
        conn.setblocking(False)
        conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.buffers[conn] = bytearray()
        self.selector.register(conn, selectors.EVENT_READ)

    def _read(self, conn: socket.socket) -> None:
        try:
            data = conn.recv(262144)
        except OSError:
            data = b""
        if not data:
            self._drop(conn)
            return
        buffer = self.buffers[conn]
        buffer += data
        while self._answer_one(conn, buffer):
            pass

    def _answer_one(self, conn: socket.socket, buffer: bytearray) -> bool:
        """Answer one complete request at the front of the buffer, if there is one."""
        end = buffer.find(b"\r\n\r\n")
        if end < 0:
            return False
        head = bytes(buffer[:end]).lower()
        length = 0
        marker = head.find(b"content-length:")
        if marker >= 0:
            length = int(head[marker + 15 :].split(b"\r\n", 1)[0])
        if len(buffer) < end + 4 + length:
            return False
        del buffer[: end + 4 + length]
        conn.setblocking(True)  # the response is small: one blocking sendall
        conn.sendall(self.response)
        conn.setblocking(False)
        return True

    def _drop(self, conn: socket.socket) -> None:
        self.selector.unregister(conn)
        self.buffers.pop(conn, None)
        conn.close()


if __name__ == "__main__":
    server = InstantLLM()
    print("READY", server.base_url, flush=True)
    server.serve_forever()
