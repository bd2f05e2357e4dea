"""docs/deployment.md's recipe for several processes, run for real: two `frontdesk serve`
processes on PostgreSQL and Redis behind nginx; one is restarted while visitors are connected."""

from __future__ import annotations

import json
import urllib.request

import pytest

from frontdesk.db import Database
from tests.support.chat_server_process import ChatServer, start_all
from tests.support.factories import make_site
from tests.support.nginx import Nginx
from tests.support.ws_client import ChatClient

pytestmark = pytest.mark.slow


@pytest.fixture
def two_behind_nginx(pg_url, tmp_path, redis_url, redis_prefix):
    database = Database(pg_url)
    site = make_site(database)
    env = {"FRONTDESK_REDIS_URL": redis_url, "FRONTDESK_REDIS_PREFIX": redis_prefix,
           "FRONTDESK_TRUST_PROXY": "true"}  # fmt: skip
    a, b = start_all(
        ChatServer(pg_url, tmp_path / "a", env), ChatServer(pg_url, tmp_path / "b", env)
    )
    hosts = [f"127.0.0.1:{server.port}" for server in (a, b)]
    # nginx tries the other process when one refuses: a restart is invisible to new sockets.
    proxy = Nginx(tmp_path / "nginx", hosts, upstream_extra="").start()
    try:
        yield proxy, (a, b), site
    finally:
        proxy.stop()
        for server in (a, b):
            server.kill()
        database.dispose()


def test_visitors_through_nginx_survive_a_process_restart(two_behind_nginx):
    proxy, (a, b), site = two_behind_nginx
    health = json.loads(urllib.request.urlopen(proxy.url + "/healthz", timeout=10).read())
    assert health == {"status": "ok", "database": "ok", "redis": "ok"}
    tabs = [ChatClient(proxy.url, site.public_key) for _ in range(2)]
    welcome = tabs[0].hello()
    same = {"visitor": welcome["visitor"], "conversation": welcome["conversation"]}
    tabs[1].hello(**same)
    first = tabs[0].say("Hello from the first tab")
    copy = tabs[1].expect("message", role="visitor")
    assert copy["seq"] == first["seq"]
    tabs[1].wait_for(lambda f: f.get("type") == "message" and f.get("role") == "assistant")

    # Restart one process (balancer round robin put one tab on each): its sockets close, the
    # widget reconnects through nginx and resumes after the last seq it holds.
    a.kill()
    last = max(f["seq"] for f in tabs[1].received if f.get("type") == "message")
    for tab in tabs:
        tab.close()
    resumed = [ChatClient(proxy.url, site.public_key) for _ in range(2)]
    for tab in resumed:
        tab.hello(**same, after=last)
    ack = resumed[0].say("Still there?")
    answer = resumed[1].wait_for(
        lambda f: f.get("type") == "message" and f.get("role") == "assistant"
        and f["seq"] > ack["seq"]
    )  # fmt: skip
    assert answer["text"]
    a.start()  # back in rotation
    later = ChatClient(proxy.url, site.public_key)
    later.hello(**same, after=answer["seq"])
    resumed[0].say("And now?")
    later.expect("message", role="visitor", text="And now?")
    for tab in [*resumed, later]:
        tab.close()
