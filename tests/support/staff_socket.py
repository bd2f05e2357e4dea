"""The staff dashboard's socket from a test: sign in over real HTTP, then /ws/staff frames."""

from __future__ import annotations

import json
import time
import urllib.parse
import urllib.request
from http.cookiejar import CookieJar

import websocket

from tests.support.forms import csrf_from
from tests.support.staff_accounts import PASSWORD


def sign_in_over_http(server_url: str, email: str) -> str:
    """Sign in through the real form; returns the Cookie header the browser would send."""
    jar = CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    form = opener.open(f"{server_url}/staff/signin", timeout=10).read().decode()
    token = csrf_from(form)
    data = urllib.parse.urlencode({"email": email, "password": PASSWORD, "csrf_token": token})
    opener.open(f"{server_url}/staff/signin", data=data.encode(), timeout=10).read()
    cookies = "; ".join(f"{c.name}={c.value}" for c in jar)
    assert "session=" in cookies
    return cookies


def staff_ws_url(server_url: str, site_key: str, conversation: str = "") -> str:
    query = f"?site={site_key}" + (f"&conversation={conversation}" if conversation else "")
    return server_url.replace("http://", "ws://", 1) + "/ws/staff" + query


class StaffSocket:
    """A dashboard socket that keeps every frame and answers pings."""

    def __init__(self, url: str, cookie: str, origin: str) -> None:
        self.conn = websocket.create_connection(url, cookie=cookie, origin=origin, timeout=15)

    def expect(self, predicate, timeout: float = 15) -> dict:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            self.conn.settimeout(max(0.1, deadline - time.monotonic()))
            raw = self.conn.recv()
            if not raw:  # websocket-client returns "" for a close frame
                raise ConnectionError("the server closed the socket")
            frame = json.loads(raw)
            if frame["type"] == "ping":
                self.conn.send(json.dumps({"type": "pong"}))
            elif predicate(frame):
                return frame
        raise TimeoutError("no matching frame")

    def send(self, frame: dict) -> None:
        self.conn.send(json.dumps(frame))

    def close(self) -> None:
        self.conn.close()
