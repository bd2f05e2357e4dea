"""The new site's checklist on the overview: services, hours, knowledge, an allowed origin, the
script tag seen working on that origin, a first conversation; shown until done or put away."""

from __future__ import annotations

from dataclasses import dataclass

from flask import Blueprint, flash, redirect, url_for
from sqlalchemy import exists, select, update

from frontdesk.db.models import Conversation, Document, OpeningHours, Service, Site
from frontdesk.extensions import get_db
from frontdesk.staff.auth import admin_required

bp = Blueprint("onboarding", __name__, url_prefix="/<site_key>/onboarding")


@dataclass(frozen=True)
class Step:
    """One thing to do: what, whether done, and where to do it."""

    key: str
    title: str
    help: str
    done: bool
    endpoint: str
    page: str | None = None


def checklist(site) -> list[Step] | None:
    """The site's steps, or None when they are all done or the owner put the list away."""
    if site.onboarding_dismissed:
        return None
    with get_db().session() as session:

        def has(model, *where) -> bool:
            return bool(session.scalar(select(exists().where(model.site_id == site.id, *where))))

        stored = session.get(Site, site.id)
        steps = [
            Step("services", "Add the services people can book", "Name, length and price of each consultation.",
                 has(Service, Service.active.is_(True)), "staff.settings.index", "services"),
            Step("hours", "Set your opening hours", "Bookable times come from these, minus closures.",
                 has(OpeningHours), "staff.settings.index", "hours"),
            Step("knowledge", "Give the assistant your pages", "Upload your FAQ or add your website's address.",
                 has(Document), "staff.knowledge.index"),
            Step("origin", "Allow your website's address", "The widget only runs on the sites you list.",
                 bool(stored.allowed_origins), "staff.settings.index", "widget"),
            Step("installed", "Put the script tag on your website",
                 f"Seen working on {stored.widget_seen_origin}." if stored.widget_seen_at
                 else "Ticked the first time the chat opens on your site.",
                 stored.widget_seen_at is not None, "staff.settings.index", "widget"),
            Step("conversation", "Have a test conversation", "Open the chat on your site and ask something.",
                 has(Conversation), "staff.conversations.index"),
        ]  # fmt: skip
    return None if all(step.done for step in steps) else steps


@bp.get("/")
@admin_required
def index(site):
    """The checklist is shown on the overview."""
    return redirect(url_for("staff.overview.index", site_key=site.public_key) + "#onboarding")


@bp.post("/dismiss")
@admin_required
def dismiss(site):
    """Put the checklist away (it does not come back)."""
    with get_db().transaction() as session:
        # A plain UPDATE: hiding a checklist is not a settings change running chats reload.
        session.execute(update(Site).where(Site.id == site.id).values(onboarding_dismissed=True))
    flash("Checklist hidden.", "success")
    return redirect(url_for("staff.overview.index", site_key=site.public_key))
