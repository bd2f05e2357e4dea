"""Staff dashboard: site settings — profile, services, hours, booking rules, widget, assistant."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from functools import partial
from typing import Any
from zoneinfo import ZoneInfo

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from sqlalchemy import select

from frontdesk.chat.engine_in_use import answering_engine
from frontdesk.db.models import Service, Site
from frontdesk.extensions import get_db
from frontdesk.outbound import provider_urls
from frontdesk.outbound.guard import BlockedURL
from frontdesk.sites import script_tag
from frontdesk.staff import settings_forms as forms
from frontdesk.staff import settings_store as store
from frontdesk.staff.auth import admin_required, staff_actor
from frontdesk.staff.settings_forms import FormError
from frontdesk.staff.settings_pages import PAGES, page_of
from frontdesk.staff.spans import closure_runs, day_span

bp = Blueprint("settings", __name__, url_prefix="/<site_key>/settings")

DEFAULT_APPEARANCE = {
    "accent": "#0f5f8c",
    "title": "",
    "launcher": "Chat with us",
    "position": "right",
}
LLM_FIELDS = ("engine", "model", "temperature", "top_p", "top_k", "max_tokens")


def embed_tag(public_url: str, site: Site, appearance: dict[str, str]) -> str:
    """The script tag with the given appearance as data-* attributes (the widget reads those)."""
    return script_tag(public_url, site, appearance=appearance)


def _page_context(site_id: int) -> dict[str, Any]:
    """Everything the settings page shows, read fresh from the database."""
    with get_db().session() as session:
        site = session.get(Site, site_id)
        services = list(
            session.scalars(
                select(Service)
                .where(Service.site_id == site_id)
                .order_by(Service.position, Service.id)
            )
        )
        weekly: dict[int, list] = {day: [] for day in range(7)}
        for row in site.opening_hours:
            weekly[row.weekday].append((row.start_time, row.end_time))
        today = datetime.now(ZoneInfo(site.timezone)).date()
        overrides = closure_runs(store.upcoming_overrides(session, site_id, today))
        session.expunge(site)
    appearance = {**DEFAULT_APPEARANCE, **(site.appearance or {})}
    llm = dict(site.llm_settings or {})
    return {
        "stored": site,
        "services": services,
        "hours": {day: forms.format_ranges(sorted(r)) for day, r in weekly.items()},
        "weekday_names": forms.WEEKDAY_NAMES,
        "overrides": overrides,
        "format_ranges": forms.format_ranges,
        "day_span": partial(day_span, today=today),
        "origins_text": "\n".join(site.allowed_origins or []),
        "appearance": appearance,
        "ink": forms.readable_ink(appearance["accent"]),
        "llm": {key: value for key, value in llm.items() if key != "api_key"},
        "api_key_set": bool(llm.get("api_key")),
        "moderation": site.moderation or {},
        "script_tag": script_tag(current_app.config["PUBLIC_URL"], site, minimal=True),
        "embed_tag": embed_tag(current_app.config["PUBLIC_URL"], site, appearance),
        "engines": forms.ENGINES,
        "moderation_modes": forms.MODERATION_MODES,
    }


def _render(site: Site, status: int = 200, page: str = "business"):
    context = _page_context(site.id) | {"page": page, "pages": PAGES}
    context["engine_now"] = answering_engine(current_app, context["stored"])
    return render_template("staff/settings.html", site=site, **context), status


def _back(site: Site, anchor: str):
    page = page_of(anchor)
    return redirect(
        url_for("staff.settings.index", site_key=site.public_key, page=page) + "#" + anchor
    )


def _submit(site: Site, anchor: str, save: Callable[[], Any], done: str):
    """Run a save; on FormError re-show the page with the message and nothing changed."""
    try:
        changed = save()
    except FormError as exc:
        flash(str(exc), "error")
        return _render(site, 400, page_of(anchor))
    flash(done if changed or changed is None else "Nothing changed.", "success")
    return _back(site, anchor)


@bp.get("/", defaults={"page": "business"})
@bp.get("/<page>")
@admin_required
def index(site: Site, page: str):
    """One page of the site's settings (settings_pages), one form per section."""
    if page not in PAGES:
        abort(404)
    return _render(site, page=page)


# The sections whose form is parsed into the site's own columns (or one of its JSON settings)
# and saved as one audited change: (endpoint, path, anchor, what it holds, parse, audit action,
# JSON column or None, what staff are told).
FIELD_SECTIONS = (
    ("profile", "/profile", "profile",
     "Name, description, greeting, notification e-mail, time zone.",
     forms.parse_profile, "settings.profile", None, "Profile saved."),
    ("rules", "/rules", "rules", "Buffers, notice, horizon and slot step.",
     forms.parse_rules, "settings.rules", None, "Booking rules saved."),
    ("origins", "/origins", "origins", "Websites allowed to embed the widget.",
     lambda form: {"allowed_origins": forms.parse_origins(form)}, "settings.origins", None,
     "Allowed origins saved."),
    ("widget", "/widget", "widget", "Widget appearance.",
     forms.parse_appearance, "settings.widget", "appearance", "Widget appearance saved."),
    ("moderation", "/moderation", "moderation", "Moderation mode, blocked terms, PII redaction.",
     forms.parse_moderation, "settings.moderation", "moderation", "Moderation saved."),
    ("clear_api_key", "/assistant/clear-key", "assistant",
     "Forget the site's own API key (the server's default applies again).",
     lambda form: {"api_key": None}, "settings.assistant", "llm_settings", "API key removed."),
)  # fmt: skip


def _field_section(endpoint, path, anchor, doc, parse, action, column, done) -> None:
    """Register the POST view of one FIELD_SECTIONS row."""

    def view(site: Site):
        def save():
            values = parse(request.form)
            if column is None:
                return store.update_site_fields(get_db(), site.id, staff_actor(), action, values)
            return store.update_json_field(get_db(), site.id, staff_actor(), action, column, values)

        return _submit(site, anchor, save, done)

    view.__name__, view.__doc__ = endpoint, doc
    bp.add_url_rule(path, endpoint, admin_required(view), methods=["POST"])


for _section in FIELD_SECTIONS:
    _field_section(*_section)


@bp.post("/services")
@admin_required
def add_service(site: Site):
    """Add a service."""

    def save():
        return store.save_service(
            get_db(), site.id, staff_actor(), forms.parse_service(request.form)
        )

    return _submit(site, "services", save, "Service added.")


@bp.post("/services/<int:service_id>")
@admin_required
def edit_service(site: Site, service_id: int):
    """Edit a service (unticking 'active' hides it from visitors)."""

    def save():
        values = forms.parse_service(request.form)
        return store.save_service(get_db(), site.id, staff_actor(), values, service_id)

    return _submit(site, "services", save, "Service saved.")


@bp.post("/services/<int:service_id>/move")
@admin_required
def move_service(site: Site, service_id: int):
    """Move a service up or down the list."""
    step = -1 if request.form.get("direction") == "up" else 1
    return _submit(
        site,
        "services",
        lambda: store.move_service(get_db(), site.id, staff_actor(), service_id, step),
        "Order saved.",
    )


@bp.post("/services/<int:service_id>/delete")
@admin_required
def delete_service(site: Site, service_id: int):
    """Delete a never-booked service."""
    return _submit(
        site,
        "services",
        lambda: store.delete_service(get_db(), site.id, staff_actor(), service_id),
        "Service deleted.",
    )


@bp.post("/hours")
@admin_required
def hours(site: Site):
    """Weekly opening hours."""

    def save():
        return store.replace_weekly_hours(
            get_db(), site.id, staff_actor(), forms.parse_hours(request.form)
        )

    return _submit(site, "hours", save, "Opening hours saved.")


@bp.post("/overrides")
@admin_required
def add_override(site: Site):
    """Close a day or give it special hours."""

    def save():
        day, ranges, note = forms.parse_override(request.form)
        return store.set_date_override(get_db(), site.id, staff_actor(), day, ranges, note)

    return _submit(site, "overrides", save, "Date saved.")


@bp.post("/overrides/delete")
@admin_required
def delete_override(site: Site):
    """Remove a day's override, or a run of closed days' (back to the weekly hours)."""

    def save():
        try:
            day = date.fromisoformat(request.form.get("day", ""))
            last = date.fromisoformat(request.form.get("last") or day.isoformat())
        except ValueError:
            raise FormError("Date must be a date like 2026-12-24.") from None
        if not store.delete_date_override(get_db(), site.id, staff_actor(), day, last):
            raise FormError(f"There is no special date {day.isoformat()}.")
        return True

    return _submit(site, "overrides", save, "Date removed.")


@bp.post("/assistant")
@admin_required
def assistant(site: Site):
    """LLM engine, model parameters, provider and daily token budget."""

    def save():
        values = forms.parse_llm(request.form)
        _vet_base_url(values.get("base_url"))
        budget = forms.parse_budget(request.form)
        return store.update_assistant(get_db(), site.id, staff_actor(), values, budget)

    return _submit(site, "assistant", save, "Assistant settings saved.")


def _vet_base_url(url: str | None) -> None:
    """A base URL the site chooses must pass the operator's rules and the outbound guard now,
    so staff learn at once (the turn vets it again before every connection)."""
    config = current_app.config
    if url and provider_urls.site_chosen_url({"base_url": url}, config):
        try:
            provider_urls.vet_site_url(url, provider_urls.rules(config))
        except BlockedURL as exc:
            raise FormError(f"Provider base URL refused: {exc}") from None
