"""Loading sites for the chat: detached, with services, hours and closures; briefly cached."""

from __future__ import annotations

import threading
import time

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from frontdesk.db import Database
from frontdesk.db.models import Site


def load_site(db: Database, public_key: str) -> Site | None:
    """The site with this public key, detached, with services, hours and closures loaded."""
    if not public_key or len(public_key) > 64:
        return None
    with db.session() as session:
        return session.scalars(
            select(Site)
            .where(Site.public_key == public_key)
            .options(
                selectinload(Site.services),
                selectinload(Site.opening_hours),
                selectinload(Site.date_overrides),
            )
        ).one_or_none()


def load_site_by_id(db: Database, site_id: int) -> Site | None:
    """The site with this id, detached, with services, hours and closures loaded."""
    with db.session() as session:
        return session.scalars(
            select(Site)
            .where(Site.id == site_id)
            .options(
                selectinload(Site.services),
                selectinload(Site.opening_hours),
                selectinload(Site.date_overrides),
            )
        ).one_or_none()


_site_cache: dict[tuple[str, int], tuple[float, Site]] = {}
_site_cache_lock = threading.Lock()
# Versions catch every ORM change at once; this backstop catches changes made behind the ORM's
# back (plain SQL), which do not bump the version.
SITE_CACHE_SECONDS = 60.0


def cached_site(db: Database, site_id: int, version: int) -> Site | None:
    """load_site_by_id, reused while the site's settings_version is still `version`.

    The caller reads the current version with its other data (one indexed row), so settings
    changed on the dashboard reach running chats on their next turn; a copy is reloaded anyway
    after SITE_CACHE_SECONDS. The cached object is detached and shared between threads: treat
    it as read-only.
    """
    now = time.monotonic()
    loaded_at, site = _cache_entry(db, site_id)
    if (
        site is not None
        and site.settings_version == version
        and now - loaded_at < SITE_CACHE_SECONDS
    ):
        return site
    site = load_site_by_id(db, site_id)
    if site is not None:
        with _site_cache_lock:
            if len(_site_cache) > 10000:  # bounded: many sites or databases (tests)
                _site_cache.clear()
            _site_cache[(db.url, site_id)] = (now, site)
    return site


def newest(db: Database, site: Site) -> Site:
    """The cached copy of `site` if an assistant turn has loaded a newer version of it since.

    Open sockets keep the site they were opened with; this lets them follow settings changes
    (seen by the next turn on the site) without a query of their own.
    """
    cached = _cache_entry(db, site.id)[1]
    if cached is not None and cached.settings_version > site.settings_version:
        return cached
    return site


def _cache_entry(db: Database, site_id: int) -> tuple[float, Site | None]:
    """(when it was loaded, the cached copy), or (0, None)."""
    with _site_cache_lock:
        return _site_cache.get((db.url, site_id), (0.0, None))
