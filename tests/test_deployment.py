"""The deployment of docs/deployment.md under a slowloris attack: gunicorn (gthread, as
documented) behind real nginx keeps answering; the same gunicorn facing clients directly does
not, which is why the server never faces the internet itself."""

from __future__ import annotations

import re
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from tests.support.factories import make_site
from tests.support.gunicorn_process import Gunicorn
from tests.support.nginx import ABSORB, Nginx, require_nginx
from tests.support.raw_sockets import half_sent_handshakes
from tests.support.ws_client import ChatClient

pytestmark = pytest.mark.slow

SLOW_HEADS = 250
THREADS = 20  # a small pool, so that 250 slow clients are far more than it holds
DOCS = Path(__file__).resolve().parent.parent / "docs" / "deployment.md"


@pytest.fixture
def deployment(sqlite_url: str, tmp_path: Path):
    """gunicorn as documented (with a small thread pool) and nginx in front of it."""
    require_nginx()
    from frontdesk.db import Database
    from frontdesk.db.migrate import upgrade

    db = Database(sqlite_url)
    upgrade(db)
    site = make_site(db)
    app = Gunicorn(sqlite_url, tmp_path / "instance", threads=THREADS,
                   env={"FRONTDESK_TRUST_PROXY": "true"}).start()  # fmt: skip
    proxy = Nginx(tmp_path / "nginx", [f"127.0.0.1:{app.port}"]).start()
    yield app, proxy, site
    proxy.stop()
    app.stop()
    db.dispose()


def healthy(url: str, timeout: float = 5.0) -> bool:
    """Whether GET url/healthz answers 200 within `timeout` seconds."""
    try:
        with urllib.request.urlopen(f"{url}/healthz", timeout=timeout) as response:
            return response.status == 200
    except (urllib.error.URLError, OSError):
        return False


def test_nginx_absorbs_half_sent_handshakes_that_starve_a_bare_gunicorn(deployment):
    app, proxy, site = deployment
    path = f"/ws/chat?site={site.public_key}"
    held = half_sent_handshakes(proxy.port, path, SLOW_HEADS)
    try:
        assert healthy(proxy.url)  # through nginx: answered
        with ChatClient(proxy.url, site.public_key) as visitor:  # chat works through it too
            assert visitor.hello()["conversation"]
        # The same attack on gunicorn itself takes every thread: nothing is answered.
        held += half_sent_handshakes(app.port, path, SLOW_HEADS)
        assert not healthy(app.url, timeout=3.0)
    finally:
        for sock in held:
            sock.close()
    assert healthy(app.url, timeout=10.0)  # the attackers gone, gunicorn recovers


def test_the_deployment_guide_gives_the_settings_the_test_proxy_uses():
    """docs/deployment.md's nginx settings are those proven above (and it says never direct)."""
    text = DOCS.read_text()
    for name, value in ABSORB.items():
        assert re.search(rf"\b{name}\s+{re.escape(value)};", text), f"{name} {value}"
    for directive in ("limit_conn_zone $binary_remote_addr zone=per_ip",
                      "proxy_set_header Upgrade $http_upgrade",
                      "proxy_set_header Connection $connection_upgrade",
                      "proxy_read_timeout 120s", "proxy_send_timeout 30s"):  # fmt: skip
        assert directive in text, directive
    assert "never faces the internet" in text
