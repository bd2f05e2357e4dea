"""Saving validated settings: one transaction per form, an audit event naming the changed fields."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, time
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from frontdesk import audit
from frontdesk.booking.availability import availability_for
from frontdesk.db import Database
from frontdesk.db.models import Booking, DateOverride, OpeningHours, Service, Site
from frontdesk.staff.settings_forms import FormError

SITE_FIELDS = (
    "name",
    "profile",
    "greeting",
    "notification_email",
    "timezone",
    "buffer_before_min",
    "buffer_after_min",
    "min_notice_min",
    "max_days_ahead",
    "slot_step_min",
    "allowed_origins",
    "daily_token_budget",
)


def _check_bookable(site: Site) -> None:
    """The booking engine must accept what is about to be committed."""
    try:
        availability_for(site)
    except ValueError as exc:
        raise FormError(f"The booking engine refuses these hours: {exc}") from None


def _edit_site(
    db: Database, site_id: int, actor: audit.Actor, action: str, change: Callable[[Site], list[str]]
) -> list[str]:
    """Run `change` on the stored site; audit and commit when it changed anything."""
    with db.write_transaction() as session:
        site = session.get(Site, site_id)
        provider_before = _provider(site)
        changed = change(site)
        session.flush()
        _check_bookable(site)
        if changed:
            data: dict[str, Any] = {"fields": changed}
            if _provider(site) != provider_before:  # where visitor turns go: old and new
                data["provider"] = {"before": provider_before, "after": _provider(site)}
            audit.record(
                session,
                site_id=site_id,
                actor=actor,
                action=action,
                subject_type="site",
                subject_id=site.public_key,
                data=data,
            )
    return changed


def _provider(site: Site) -> dict[str, Any]:
    """The provider address and whether the site has its own key (never the key itself)."""
    llm = site.llm_settings or {}
    return {"base_url": llm.get("base_url") or "", "own_key": bool(llm.get("api_key"))}


def _fields_change(values: dict[str, Any]) -> Callable[[Site], list[str]]:
    def change(site: Site) -> list[str]:
        changed = []
        for name, value in values.items():
            if name not in SITE_FIELDS:
                raise ValueError(f"{name} is not an editable site field")
            if getattr(site, name) != value:
                setattr(site, name, value)
                changed.append(name)
        return changed

    return change


def _json_change(column: str, values: dict[str, Any]) -> Callable[[Site], list[str]]:
    def change(site: Site) -> list[str]:
        current = dict(getattr(site, column) or {})
        changed = []
        for key, value in values.items():
            if current.get(key) != value:
                changed.append(key)
            if value is None:
                current.pop(key, None)
            else:
                current[key] = value
        if changed:
            setattr(site, column, current)  # a new dict, so SQLAlchemy sees the change
        return changed

    return change


def update_site_fields(
    db: Database, site_id: int, actor: audit.Actor, action: str, values: dict[str, Any]
) -> list[str]:
    """Set plain Site columns; returns the names that changed."""
    return _edit_site(db, site_id, actor, action, _fields_change(values))


def update_json_field(
    db: Database, site_id: int, actor: audit.Actor, action: str, column: str, values: dict
) -> list[str]:
    """Merge values into a JSON column (appearance, llm_settings, moderation); None removes a key."""
    return _edit_site(db, site_id, actor, action, _json_change(column, values))


def update_assistant(
    db: Database, site_id: int, actor: audit.Actor, llm: dict[str, Any], budget: int | None
) -> list[str]:
    """LLM settings and the daily token budget in one change (the API key's value is never logged)."""
    llm_change = _json_change("llm_settings", llm)
    budget_change = _fields_change({"daily_token_budget": budget})
    return _edit_site(
        db, site_id, actor, "settings.assistant", lambda s: llm_change(s) + budget_change(s)
    )


def replace_weekly_hours(
    db: Database, site_id: int, actor: audit.Actor, weekly: dict[int, list[tuple[time, time]]]
) -> list[str]:
    """Replace all weekly opening ranges; returns the weekdays (as names 'weekday0'..) changed."""

    def change(site: Site) -> list[str]:
        old: dict[int, list] = {day: [] for day in range(7)}
        for row in site.opening_hours:
            old[row.weekday].append((row.start_time, row.end_time))
        changed = [f"weekday{d}" for d in range(7) if sorted(old[d]) != weekly.get(d, [])]
        if changed:
            site.opening_hours = [
                OpeningHours(site_id=site.id, weekday=day, start_time=start, end_time=end)
                for day, ranges in sorted(weekly.items())
                for start, end in ranges
            ]
        return changed

    return _edit_site(db, site_id, actor, "settings.hours", change)


def set_date_override(
    db: Database,
    site_id: int,
    actor: audit.Actor,
    day: date,
    ranges: list[tuple[time, time]],
    note: str,
) -> list[str]:
    """Replace the overrides of one day: closed (no ranges) or special hours."""

    def change(site: Site) -> list[str]:
        kept = [row for row in site.date_overrides if row.day != day]
        if ranges:
            new = [DateOverride(day=day, start_time=s, end_time=e, note=note) for s, e in ranges]
        else:
            new = [DateOverride(day=day, start_time=None, end_time=None, note=note)]
        site.date_overrides = kept + new
        return [f"override:{day.isoformat()}"]

    return _edit_site(db, site_id, actor, "settings.override", change)


def delete_date_override(
    db: Database, site_id: int, actor: audit.Actor, day: date, last: date | None = None
) -> bool:
    """Remove every override of one day, or of day..last (a run of closures); False when there
    was none."""
    last = max(day, last or day)

    def change(site: Site) -> list[str]:
        kept = [row for row in site.date_overrides if not day <= row.day <= last]
        if len(kept) == len(site.date_overrides):
            return []
        gone = sorted({row.day for row in site.date_overrides} - {row.day for row in kept})
        site.date_overrides = kept
        return [f"override:{d.isoformat()}" for d in gone]

    return bool(_edit_site(db, site_id, actor, "settings.override_deleted", change))


def upcoming_overrides(session: Session, site_id: int, today: date) -> list[dict[str, Any]]:
    """Overrides from today on, one entry per day."""
    rows = session.scalars(
        select(DateOverride)
        .where(DateOverride.site_id == site_id, DateOverride.day >= today)
        .order_by(DateOverride.day, DateOverride.start_time)
    )
    days: dict[date, dict[str, Any]] = {}
    for row in rows:
        entry = days.setdefault(row.day, {"day": row.day, "ranges": [], "note": row.note})
        if row.start_time is None:
            entry["closed"] = True
        else:
            entry["ranges"].append((row.start_time, row.end_time))
    return list(days.values())


# -- services -------------------------------------------------------------------------------


def _service(session: Session, site_id: int, service_id: int) -> Service:
    service = session.get(Service, service_id)
    if service is None or service.site_id != site_id:
        raise FormError("That service does not exist.")
    return service


def _slug_taken(session: Session, site_id: int, slug: str, except_id: int | None) -> bool:
    query = select(Service.id).where(Service.site_id == site_id, Service.slug == slug)
    if except_id is not None:
        query = query.where(Service.id != except_id)
    return session.scalar(query) is not None


def save_service(
    db: Database, site_id: int, actor: audit.Actor, values: dict, service_id: int | None = None
) -> list[str]:
    """Add (service_id None) or edit a service; returns the changed field names."""
    with db.write_transaction() as session:
        if _slug_taken(session, site_id, values["slug"], service_id):
            raise FormError(f"Another service already uses the slug {values['slug']!r}.")
        if service_id is None:
            last = session.scalar(
                select(func.max(Service.position)).where(Service.site_id == site_id)
            )
            service = Service(site_id=site_id, position=(last or 0) + 1, **values)
            session.add(service)
            changed = sorted(values)
        else:
            service = _service(session, site_id, service_id)
            changed = [k for k, v in values.items() if getattr(service, k) != v]
            for key in changed:
                setattr(service, key, values[key])
        session.flush()
        if changed:
            audit.record(
                session,
                site_id=site_id,
                actor=actor,
                action="settings.service_added" if service_id is None else "settings.service",
                subject_type="service",
                subject_id=service.slug,
                data={"fields": changed},
            )
    return changed


def move_service(
    db: Database, site_id: int, actor: audit.Actor, service_id: int, step: int
) -> None:
    """Move a service one place up (-1) or down (+1) in the list visitors see."""
    with db.write_transaction() as session:
        services = list(
            session.scalars(
                select(Service)
                .where(Service.site_id == site_id)
                .order_by(Service.position, Service.id)
            )
        )
        index = next((i for i, s in enumerate(services) if s.id == service_id), None)
        if index is None:
            raise FormError("That service does not exist.")
        target = index + step
        if 0 <= target < len(services):
            services[index], services[target] = services[target], services[index]
        for position, service in enumerate(services):
            service.position = position  # renumber: old rows may share a position
        audit.record(
            session,
            site_id=site_id,
            actor=actor,
            action="settings.service_moved",
            subject_type="service",
            subject_id=services[target if 0 <= target < len(services) else index].slug,
            data={"fields": ["position"]},
        )


def delete_service(db: Database, site_id: int, actor: audit.Actor, service_id: int) -> str:
    """Delete a service that was never booked; booked ones must be deactivated instead."""
    with db.write_transaction() as session:
        service = _service(session, site_id, service_id)
        if session.scalar(select(Booking.id).where(Booking.service_id == service_id).limit(1)):
            raise FormError(
                f"{service.name} has bookings, so it cannot be deleted; deactivate it instead."
            )
        slug = service.slug
        session.delete(service)  # through the unit of work, so the site's version is bumped
        audit.record(
            session,
            site_id=site_id,
            actor=actor,
            action="settings.service_deleted",
            subject_type="service",
            subject_id=slug,
        )
    return slug
