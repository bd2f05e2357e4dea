"""The packaged demo business on a real server process, with its host page on another origin."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import select

from tests.support.chat_server_process import ChatServer
from tests.support.widget_hosts import HostServer


@contextmanager
def demo_server(
    sqlite_url: str,
    tmp_path: Path,
    *,
    extra_env: dict[str, str] | None = None,
    before_start: Callable[[object, int], None] | None = None,
) -> Iterator[ChatServer]:
    """Start the demo on a server process; `before_start(db, site_id)` adds to it first.

    The server carries `db`, `host` (the demo page's server), `site_key` and `site_id`.
    """
    from frontdesk.db.models import Site
    from frontdesk.demo import DEMO_KEY, create_demo
    from tests.support.staff_accounts import TEST_HASHER

    server = ChatServer(sqlite_url, tmp_path / "instance", extra_env=extra_env)
    db = server.prepare()
    host = HostServer(server.url, DEMO_KEY)
    create_demo(db, instance_path=str(server.instance), demo_host_url=host.url, hasher=TEST_HASHER)
    with db.session() as session:
        site_id = session.scalars(select(Site.id).where(Site.public_key == DEMO_KEY)).one()
    if before_start is not None:
        before_start(db, site_id)
    server.start()
    host.start()
    server.db, server.host, server.site_key, server.site_id = db, host, DEMO_KEY, site_id
    try:
        yield server
    finally:
        server.kill()
        host.stop()
        db.dispose()
