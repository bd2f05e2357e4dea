"""The floor for bench/chat.py: the least a chat server must do before the first words appear.

No Frontdesk code: a flask-sock socket on the same werkzeug threaded server that, for each
visitor message, stores it (SQLite in WAL mode, one transaction), acks it, and on a worker
thread reads the recent history, posts a streamed completion to the provider over a kept-alive
http.client connection and forwards the first delta, then a final `message` frame (the reply is
not stored). It speaks just enough of docs/protocol.md for bench/chat.py's load generator
(hello -> welcome, message -> ack, delta, message). Its latency is what this machine, Python and
these libraries cost for the path; Frontdesk's figure above it is what our own code adds.

Run: python bench/floor_chat.py LLM_BASE_URL SQLITE_PATH  (prints "READY <port>")
"""

from __future__ import annotations

import http.client
import json
import logging
import sqlite3
import sys
import threading
import uuid
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import urlsplit

SYSTEM_PROMPT = "You are the website assistant of a small studio. " * 40  # ~2,000 characters
TOOLS = [
    {"type": "function", "function": {"name": f"tool_{n}", "description": "x" * 300}}
    for n in range(8)
]  # about the size of the real tool schemas


class FloorChat:
    """The store / ack / ask-the-provider / forward path and nothing else."""

    def __init__(self, llm_url: str, path: str) -> None:
        self.llm = urlsplit(llm_url)
        self.path = path
        self.local = threading.local()
        self.write_lock = threading.Lock()
        self.pool = ThreadPoolExecutor(64)
        db = self.db()
        db.execute("PRAGMA journal_mode=WAL")
        db.execute("CREATE TABLE IF NOT EXISTS conv (id INTEGER PRIMARY KEY, last_seq INT)")
        db.execute(
            "CREATE TABLE IF NOT EXISTS msg (id INTEGER PRIMARY KEY, conv INT, seq INT, "
            "role TEXT, cid TEXT, text TEXT, UNIQUE (conv, seq), UNIQUE (conv, cid))"
        )

    def db(self) -> sqlite3.Connection:
        """This thread's SQLite connection."""
        connection = getattr(self.local, "db", None)
        if connection is None:
            connection = sqlite3.connect(self.path, isolation_level=None)
            connection.execute("PRAGMA synchronous=NORMAL")
            self.local.db = connection
        return connection

    def serve(self, ws) -> None:
        """One socket: hello, then messages until it closes."""
        send_lock = threading.Lock()

        def send(frame: dict) -> None:
            with send_lock:
                ws.send(json.dumps(frame))

        conversation = None
        while True:
            frame = json.loads(ws.receive())
            if frame.get("type") == "hello":
                conversation = self.new_conversation()
                send({"type": "welcome", "conversation": conversation})
            elif frame.get("type") == "message" and conversation is not None:
                seq = self.store(conversation, frame["id"], frame["text"])
                send({"type": "ack", "id": frame["id"], "seq": seq})
                self.pool.submit(self.answer, conversation, frame["text"], send)

    def new_conversation(self) -> int:
        with self.write_lock:
            return self.db().execute("INSERT INTO conv (last_seq) VALUES (0)").lastrowid

    def store(self, conversation: int, client_id: str, text: str) -> int:
        """The visitor's message with the next seq, in one write transaction."""
        with self.write_lock:
            cursor = self.db().cursor()
            cursor.execute("BEGIN IMMEDIATE")
            (seq,) = cursor.execute(
                "UPDATE conv SET last_seq = last_seq + 1 WHERE id = ? RETURNING last_seq",
                (conversation,),
            ).fetchone()
            cursor.execute(
                "INSERT INTO msg (conv, seq, role, cid, text) VALUES (?, ?, 'visitor', ?, ?)",
                (conversation, seq, client_id, text),
            )
            cursor.execute("COMMIT")
            return seq

    def answer(self, conversation: int, text: str, send) -> None:
        """History, prompt, streamed completion; the first delta is forwarded at once."""
        rows = (
            self.db()
            .execute(
                "SELECT role, text FROM msg WHERE conv = ? ORDER BY seq DESC LIMIT 30",
                (conversation,),
            )
            .fetchall()
        )
        messages = [{"role": "system", "content": SYSTEM_PROMPT}]
        messages += [{"role": "user", "content": body} for _, body in reversed(rows)]
        request = {"model": "floor", "messages": messages, "stream": True, "tools": TOOLS}
        connection = getattr(self.local, "llm", None)
        if connection is None:
            connection = http.client.HTTPConnection(self.llm.hostname, self.llm.port)
            self.local.llm = connection
        connection.request(
            "POST",
            self.llm.path.rstrip("/") + "/chat/completions",
            json.dumps(request).encode(),
            {"Content-Type": "application/json", "Authorization": "Bearer floor"},
        )
        response = connection.getresponse()
        reply, parts = uuid.uuid4().hex, []
        for line in response:
            if line.startswith(b"data: {"):
                delta = json.loads(line[6:])["choices"]
                piece = delta[0]["delta"].get("content") if delta else None
                if piece:
                    parts.append(piece)
                    send({"type": "delta", "reply": reply, "text": piece})
        send({"type": "message", "role": "assistant", "text": "".join(parts), "reply": reply})


def serve(llm_url: str, path: str) -> None:
    """Serve the floor chat on a free port (prints "READY <port>"); never returns."""
    from flask import Flask
    from flask_sock import Sock
    from werkzeug.serving import make_server

    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    floor = FloorChat(llm_url, path)
    app = Flask("floor")
    Sock(app).route("/ws/chat")(floor.serve)
    server = make_server("127.0.0.1", 0, app, threaded=True)
    print("READY", server.server_port, flush=True)
    server.serve_forever()


if __name__ == "__main__":
    serve(sys.argv[1], sys.argv[2])
