"""Creating and describing sites (businesses) — shared by the CLI, the demo and the dashboard."""

from __future__ import annotations

import html
import secrets
from collections.abc import Iterable
from urllib.parse import urlsplit

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from frontdesk.booking.hosts import add_site_host, remove_hosts_without_sites
from frontdesk.booking.site_zones import site_zone_problem
from frontdesk.db.models import Booking, Conversation, Document, Site, SiteMembership


class SiteError(ValueError):
    """Invalid site settings (message says which and why)."""


def new_public_key() -> str:
    """A fresh public site key, safe to put in a script tag."""
    return "fd_" + secrets.token_urlsafe(12)


def new_calendar_secret() -> str:
    """A fresh unguessable secret for the staff iCal feed URL."""
    return secrets.token_urlsafe(32)


def validate_timezone(name: str) -> str:
    """The place-based IANA zone name, or SiteError saying which zone was probably meant."""
    problem = site_zone_problem(name)
    if problem:
        raise SiteError(problem)
    return name.strip()


def normalize_origin(origin: str) -> str:
    """scheme://host[:port] with no path, lower-cased; SiteError when it is not an origin.

    The one origin normaliser: for the origins a site allows and for the Origin header of a
    socket handshake (see `origin_in`)."""
    parts = urlsplit(origin.strip())
    if parts.scheme not in {"http", "https"} or not parts.hostname:
        raise SiteError(f"{origin!r} is not an origin like https://www.example.com")
    if parts.path not in {"", "/"} or parts.query or parts.fragment:
        raise SiteError(f"{origin!r} must be just scheme://host[:port], without a path")
    try:
        port = parts.port
    except ValueError:
        raise SiteError(f"{origin!r} has a port that is not a number") from None
    host = parts.hostname.lower()
    host = f"[{host}]" if ":" in host else host  # an IPv6 address keeps its brackets
    return f"{parts.scheme}://{host}:{port}" if port else f"{parts.scheme}://{host}"


def origin_in(origin: str | None, allowed: Iterable[str]) -> bool:
    """True when a request's Origin header is one of `allowed`, both sides normalised; an
    absent, "null" or malformed Origin never is."""
    if not origin or origin == "null":
        return False
    try:
        wanted = normalize_origin(origin)
    except SiteError:
        return False
    return any(_normalized_or_none(str(item)) == wanted for item in allowed)


def _normalized_or_none(origin: str) -> str | None:
    try:
        return normalize_origin(origin)
    except SiteError:
        return None


def create_site(
    session: Session,
    *,
    name: str,
    timezone: str,
    origins: list[str],
    public_key: str | None = None,
    **fields,
) -> Site:
    """Add a site with validated zone and origins and fresh secrets."""
    if not name.strip():
        raise SiteError("A site needs a name.")
    key = public_key or new_public_key()
    if session.scalar(select(Site.id).where(Site.public_key == key)):
        raise SiteError(f"A site with key {key!r} already exists.")
    site = Site(
        public_key=key,
        name=name.strip(),
        timezone=validate_timezone(timezone),
        allowed_origins=[normalize_origin(o) for o in origins],
        calendar_secret=new_calendar_secret(),
        **fields,
    )
    session.add(site)
    session.flush()
    add_site_host(session, site)  # a one-person business needs no set-up
    return site


def site_by_key(session: Session, public_key: str) -> Site | None:
    """The site with this public key, or None."""
    return session.scalar(select(Site).where(Site.public_key == public_key))


def sites_named(session: Session, name: str) -> list[Site]:
    """Sites already called `name`, ignoring case and surrounding spaces."""
    wanted = name.strip().lower()
    return list(session.scalars(select(Site).where(func.lower(Site.name) == wanted)))


def site_contents(session: Session, site: Site) -> dict[str, int]:
    """What removing a site would delete: its bookings, conversations, knowledge documents and
    staff memberships, counted."""
    counts = {}
    for label, model in (
        ("bookings", Booking),
        ("conversations", Conversation),
        ("knowledge documents", Document),
        ("staff memberships", SiteMembership),
    ):
        query = select(func.count()).select_from(model).where(model.site_id == site.id)
        counts[label] = session.scalar(query) or 0
    return counts


def remove_site(session: Session, site: Site) -> None:
    """Delete a site and, through the database's ON DELETE CASCADE, everything it owns.

    Staff accounts stay (they may belong to other sites); the audit log stays (append-only);
    hosts stay when they work for another site too."""
    session.execute(delete(Site).where(Site.id == site.id))
    session.expunge(site)
    remove_hosts_without_sites(session)


# Site.appearance keys and the widget's data-* attributes that carry them.
APPEARANCE_ATTRIBUTES = {
    "accent": "data-accent",
    "title": "data-title",
    "launcher": "data-launcher-label",
    "position": "data-position",
}


def script_tag(
    public_url: str, site: Site, *, appearance: dict[str, str] | None = None, minimal: bool = False
) -> str:
    """The one line a site owner pastes: the widget loader, carrying the site's appearance.

    The loader draws the launcher before it talks to the server, so colours and labels travel
    in the tag itself; `minimal` leaves them out (the widget's defaults apply).
    """
    values = {} if minimal else (site.appearance if appearance is None else appearance) or {}
    extra = "".join(
        f' {attribute}="{html.escape(str(values[key]), quote=True)}"'
        for key, attribute in APPEARANCE_ATTRIBUTES.items()
        if values.get(key)
    )
    src = html.escape(public_url.rstrip("/"), quote=True)
    key = html.escape(site.public_key, quote=True)
    return f'<script src="{src}/widget.js" data-site="{key}"{extra} async></script>'
