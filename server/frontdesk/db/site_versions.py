"""Site settings versions: every ORM flush that changes a site's settings bumps its version.

Chats keep a cached copy of their site (frontdesk.chat.site_cache) and compare its version with
the database's on every turn, so a change made on the dashboard (or by the CLI) reaches running
chats at once, without reloading the site on every turn.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import event, update
from sqlalchemy.orm import Session, sessionmaker

from frontdesk.db.models import DateOverride, OpeningHours, Service, Site

SETTINGS_ROWS = (Service, OpeningHours, DateOverride)


def watch(sessions: sessionmaker) -> None:
    """Bump site versions after every flush of sessions made by this factory."""
    event.listen(sessions, "after_flush", _bump_changed_sites)


def _changed_site_ids(session: Session) -> set[int]:
    """Ids of the sites whose settings this (not yet finished) flush changes."""
    changed = [
        *(obj for obj in session.dirty
          if isinstance(obj, (Site, *SETTINGS_ROWS)) and session.is_modified(obj)),
        *(obj for obj in session.deleted if isinstance(obj, SETTINGS_ROWS)),
        *(obj for obj in session.new if isinstance(obj, SETTINGS_ROWS)),
    ]  # fmt: skip
    return {site_id for site_id in map(_site_id, changed) if site_id is not None}


def _site_id(obj: Any) -> int | None:
    if isinstance(obj, Site):
        return obj.id
    if obj.site_id is not None:
        return obj.site_id
    site = getattr(obj, "site", None)
    return site.id if site is not None else None


def _bump_changed_sites(session: Session, _flush_context: Any) -> None:
    ids = _changed_site_ids(session)
    if not ids:
        return
    # Core statement on the flush's own connection: the same transaction, no nested flush.
    table = Site.__table__
    session.connection().execute(
        update(table)
        .where(table.c.id.in_(sorted(ids)))
        .values(settings_version=table.c.settings_version + 1)
    )
