"""Staff settings forms over real HTTP: valid changes saved, invalid ones refused with nothing changed."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import pytest
from sqlalchemy import select

from frontdesk.audit import Actor
from frontdesk.db.models import AuditEvent, DateOverride, OpeningHours, Service, Site
from frontdesk.extensions import get_bookings
from tests.support.apps import app_config
from tests.support.factories import make_site
from tests.support.forms import csrf_from
from tests.support.servers import LiveServer
from tests.support.staff_accounts import PASSWORD, make_staff, sign_in

SECRET_KEY = "sk-very-secret-value-123"


def url(site, tail=""):
    return f"/staff/{site.public_key}/settings/{tail}"


def post(client, site, tail, data):
    token = csrf_from(client.get(url(site)).get_data(as_text=True))
    return client.post(url(site, tail), data={"csrf_token": token, **data})


def snapshot(app, site_id):
    """Everything the settings forms can change, to compare before and after."""
    with app.extensions["frontdesk.db"].session() as session:
        stored = session.get(Site, site_id)
        columns = {c.name: getattr(stored, c.key) for c in Site.__table__.columns}
        hours = session.execute(
            select(OpeningHours.weekday, OpeningHours.start_time, OpeningHours.end_time)
            .where(OpeningHours.site_id == site_id)
            .order_by(OpeningHours.weekday, OpeningHours.start_time)
        ).all()
        overrides = session.execute(
            select(DateOverride.day, DateOverride.start_time).where(DateOverride.site_id == site_id)
        ).all()
        services = session.execute(
            select(
                Service.slug, Service.name, Service.duration_min, Service.active, Service.position
            )
            .where(Service.site_id == site_id)
            .order_by(Service.id)
        ).all()
        audits = session.scalar(select(AuditEvent.id).order_by(AuditEvent.id.desc()).limit(1))
    return columns, list(hours), list(overrides), list(services), audits


def audit_fields(app, action):
    with app.extensions["frontdesk.db"].session() as session:
        events = session.scalars(select(AuditEvent).where(AuditEvent.action == action)).all()
    assert events and all(e.actor_type == "staff" for e in events)
    return events[-1].data["fields"]


def test_settings_are_split_into_pages_each_with_its_sections(signed_in, site):
    pages = {
        "": ("profile",),
        "services": ("services",),
        "hours": ("hours", "overrides", "rules"),
        "assistant": ("assistant",),
        "widget": ("origins", "widget"),
        "moderation": ("moderation",),
    }
    every = {anchor for anchors in pages.values() for anchor in anchors}
    for tail, anchors in pages.items():
        page = signed_in.get(url(site, tail)).get_data(as_text=True)
        for anchor in every:
            assert (f'<section id="{anchor}"' in page) == (anchor in anchors), (tail, anchor)
        assert "Hours and closures" in page and 'aria-current="page"' in page
    widget = signed_in.get(url(site, "widget")).get_data(as_text=True)
    assert f"data-site=&#34;{site.public_key}&#34;" in widget  # the copy-paste script tag
    hours = signed_in.get(url(site, "hours")).get_data(as_text=True)
    assert "Monday" in hours and "09:00-12:00, 13:00-17:00" in hours
    assert signed_in.get(url(site, "nonsense")).status_code == 404


@pytest.mark.app_config(ENGINE=None)  # "auto", as a fresh install
def test_the_assistant_page_says_which_engine_answers_now(app, signed_in, site):
    page = signed_in.get(url(site, "assistant")).get_data(as_text=True)
    assert "Answering visitors now: the offline engine (built in, no LLM)" in page
    assert "No LLM provider is configured" in page
    advanced = page[page.index('<details class="advanced') :]
    assert 'name="temperature"' in advanced and 'name="top_k"' in advanced  # tucked away
    with app.extensions["frontdesk.db"].transaction() as session:
        session.get(Site, site.id).llm_settings = {"model": "gpt-4o-mini", "api_key": "sk-x"}
    page = signed_in.get(url(site, "assistant")).get_data(as_text=True)
    assert "Answering visitors now: the model gpt-4o-mini at api.openai.com" in page


def test_profile_saved_and_audited(app, signed_in, site):
    data = {
        "name": "New Name",
        "timezone": "Europe/Paris",
        "profile": "We do AI.",
        "greeting": "Hello there",
        "notification_email": "boss@studio.test",
    }
    response = post(signed_in, site, "profile", data)
    assert response.status_code == 302
    columns = snapshot(app, site.id)[0]
    assert columns["name"] == "New Name" and columns["timezone"] == "Europe/Paris"
    assert "Hello there" in signed_in.get(url(site)).get_data(as_text=True)
    assert set(audit_fields(app, "settings.profile")) >= {"name", "timezone", "greeting"}


@pytest.mark.parametrize(
    ("form", "message"),
    [
        ({"name": "", "timezone": "UTC", "greeting": "hi"}, "Site name is required"),
        ({"name": "X", "timezone": "Mars/Olympus", "greeting": "hi"}, "Unknown time zone"),
        (
            {"name": "X", "timezone": "UTC", "greeting": "hi", "notification_email": "nope"},
            "not a valid e-mail",
        ),
    ],
)
def test_bad_profile_refused(app, signed_in, site, form, message):
    before = snapshot(app, site.id)
    response = post(signed_in, site, "profile", form)
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)
    assert snapshot(app, site.id) == before


def test_hours_change_shows_in_free_slots(app, signed_in, site):
    fields = {f"day{d}": "" for d in range(7)}
    fields["day0"] = "10:00-11:00, 22:00-00:00"  # Mondays only; 00:00 = midnight
    assert post(signed_in, site, "hours", fields).status_code == 302
    monday = date(2030, 1, 7)
    now = datetime(2029, 12, 1, tzinfo=UTC)
    with app.app_context():
        slots = get_bookings().free_slots(
            site.id, "consult", monday, monday + timedelta(days=1), tz="Australia/Sydney", now=now
        )
    starts = [slot.start.time() for slot in slots]
    assert starts == [time(10), time(10, 30), time(22), time(22, 30), time(23), time(23, 30)]
    assert audit_fields(app, "settings.hours") == [
        f"weekday{d}" for d in range(5)
    ]  # weekends stay closed


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("12:00-09:00", "ends before it starts"),
        ("09:00-12:00, 11:00-13:00", "overlap"),
        ("9am-5pm", "not a range"),
        ("25:00-26:00", "not a time"),
    ],
)
def test_bad_hours_refused(app, signed_in, site, value, message):
    before = snapshot(app, site.id)
    fields = {f"day{d}": "09:00-17:00" for d in range(7)}
    fields["day2"] = value
    response = post(signed_in, site, "hours", fields)
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)
    assert snapshot(app, site.id) == before


def test_closure_and_special_hours(app, signed_in, site):
    day = date.today() + timedelta(days=10)
    assert (
        post(
            signed_in,
            site,
            "overrides",
            {"day": day.isoformat(), "closed": "on", "note": "Holiday"},
        ).status_code
        == 302
    )
    page = signed_in.get(url(site, "hours")).get_data(as_text=True)
    assert day.isoformat() in page and "Holiday" in page
    with app.app_context():
        assert get_bookings().free_slots(site.id, "consult", day, day) == []
    special = {"day": day.isoformat(), "ranges": "14:00-15:00", "note": "Short day"}
    assert post(signed_in, site, "overrides", special).status_code == 302
    with app.app_context():
        slots = get_bookings().free_slots(site.id, "consult", day, day, tz="Australia/Sydney")
    assert [s.start.time() for s in slots] == [time(14), time(14, 30)]
    assert post(signed_in, site, "overrides/delete", {"day": day.isoformat()}).status_code == 302
    assert snapshot(app, site.id)[2] == []


def test_a_run_of_closures_is_one_row_removed_at_once(app, signed_in, site):
    """Consecutive closed days with one note show as one range row with one Remove, which
    removes the run; a neighbouring closure with another note stays its own row."""
    first = date(2030, 12, 30)
    for offset in range(4):  # 30 Dec 2030 - 2 Jan 2031
        day = (first + timedelta(days=offset)).isoformat()
        form = {"day": day, "closed": "on", "note": "Closed for the holidays"}
        assert post(signed_in, site, "overrides", form).status_code == 302
    other = {"day": "2031-01-03", "closed": "on", "note": "Stocktake"}
    assert post(signed_in, site, "overrides", other).status_code == 302
    page = signed_in.get(url(site, "hours")).get_data(as_text=True)
    table = page.split('id="overrides"')[1].split("</table>")[0]
    assert table.count(">Remove</button>") == 2
    assert "30 Dec 2030 – 2 Jan 2031" in table and "Fri 3 Jan 2031" in table
    run = {"day": first.isoformat(), "last": "2031-01-02"}
    assert post(signed_in, site, "overrides/delete", run).status_code == 302
    assert snapshot(app, site.id)[2] == [(date(2031, 1, 3), None)]


def test_bad_override_refused(app, signed_in, site):
    before = snapshot(app, site.id)
    for form in (
        {"day": "someday", "closed": "on"},
        {"day": "2030-01-01", "ranges": ""},
        {"day": "2030-01-01", "ranges": "15:00-14:00"},
    ):
        assert post(signed_in, site, "overrides", form).status_code == 400
    assert snapshot(app, site.id) == before


def test_rules_saved_and_refused(app, signed_in, site):
    good = {
        "buffer_before_min": "10",
        "buffer_after_min": "15",
        "min_notice_min": "60",
        "max_days_ahead": "30",
        "slot_step_min": "15",
    }
    assert post(signed_in, site, "rules", good).status_code == 302
    columns = snapshot(app, site.id)[0]
    assert (columns["buffer_after_min"], columns["slot_step_min"]) == (15, 15)
    before = snapshot(app, site.id)
    response = post(signed_in, site, "rules", {**good, "slot_step_min": "0"})
    assert response.status_code == 400 and "Slot step must be between" in response.get_data(
        as_text=True
    )
    assert post(signed_in, site, "rules", {**good, "max_days_ahead": "ten"}).status_code == 400
    assert snapshot(app, site.id) == before


def test_origins_normalised(app, signed_in, site):
    text = "HTTPS://WWW.Example.com/\n\nhttp://localhost:8080\nhttps://www.example.com"
    assert post(signed_in, site, "origins", {"origins": text}).status_code == 302
    assert snapshot(app, site.id)[0]["allowed_origins"] == [
        "https://www.example.com",
        "http://localhost:8080",
    ]
    before = snapshot(app, site.id)
    response = post(signed_in, site, "origins", {"origins": "https://ok.test\nftp://bad.test"})
    assert response.status_code == 400
    assert "Line 2" in response.get_data(as_text=True)
    assert snapshot(app, site.id) == before


def test_services_add_edit_reorder_delete(app, signed_in, site):
    new = {
        "name": "Audit",
        "slug": "audit",
        "duration_min": "60",
        "price_text": "$200",
        "description": "A review",
        "active": "on",
    }
    assert post(signed_in, site, "services", new).status_code == 302
    with app.app_context():
        assert "audit" in [s.slug for s in get_bookings().services(site.id)]
    services = snapshot(app, site.id)[3]
    assert [s.slug for s in services] == ["consult", "workshop", "audit"]
    with app.extensions["frontdesk.db"].session() as session:
        audit_id = session.scalar(select(Service.id).where(Service.slug == "audit"))
    assert (
        post(signed_in, site, f"services/{audit_id}/move", {"direction": "up"}).status_code == 302
    )
    with app.app_context():
        assert [s.slug for s in get_bookings().services(site.id)] == [
            "consult",
            "audit",
            "workshop",
        ]
    # Deactivating hides it from visitors.
    assert post(signed_in, site, f"services/{audit_id}", {**new, "active": ""}).status_code == 302
    with app.app_context():
        assert "audit" not in [s.slug for s in get_bookings().services(site.id)]
    before = snapshot(app, site.id)
    dup = post(signed_in, site, "services", {**new, "slug": "consult"})
    assert dup.status_code == 400 and "already uses the slug" in dup.get_data(as_text=True)
    bad = post(signed_in, site, "services", {**new, "slug": "Bad Slug!", "duration_min": "60"})
    assert bad.status_code == 400
    assert (
        post(signed_in, site, "services", {**new, "slug": "x2", "duration_min": "0"}).status_code
        == 400
    )
    assert snapshot(app, site.id) == before
    assert post(signed_in, site, f"services/{audit_id}/delete", {}).status_code == 302
    assert "audit" not in [s.slug for s in snapshot(app, site.id)[3]]


def test_booked_service_cannot_be_deleted(app, signed_in, site):
    with app.app_context():
        bookings = get_bookings()
        slot = bookings.free_slots(
            site.id, "consult", date.today() + timedelta(days=3), date.today() + timedelta(days=9)
        )[0]
        bookings.create(site.id, _request(slot.start), Actor("visitor"))
    with app.extensions["frontdesk.db"].session() as session:
        consult_id = session.scalar(
            select(Service.id).where(Service.site_id == site.id, Service.slug == "consult")
        )
    before = snapshot(app, site.id)
    response = post(signed_in, site, f"services/{consult_id}/delete", {})
    assert response.status_code == 400 and "deactivate it instead" in response.get_data(
        as_text=True
    )
    assert snapshot(app, site.id)[3] == before[3]


def _request(start):
    from frontdesk.booking.service import BookingRequest

    return BookingRequest(service="consult", start=start, name="Ada", email="ada@example.com")


def test_widget_appearance_and_preview(app, signed_in, site):
    form = {"accent": "#FFCC00", "title": "Ask us", "launcher": "Talk", "position": "left"}
    assert post(signed_in, site, "widget", form).status_code == 302
    appearance = snapshot(app, site.id)[0]["appearance"]
    assert appearance == {
        "accent": "#ffcc00",
        "title": "Ask us",
        "launcher": "Talk",
        "position": "left",
    }
    page = signed_in.get(url(site, "widget")).get_data(as_text=True)
    assert 'data-ink="#000000"' in page  # dark text on a light accent
    assert "data-accent=&#34;#ffcc00&#34; data-title=&#34;Ask us&#34;" in page  # in the embed tag
    assert "data-launcher-label=&#34;Talk&#34; data-position=&#34;left&#34;" in page
    assert "staff-settings.js" in page and "<script>" not in page
    before = snapshot(app, site.id)
    assert post(signed_in, site, "widget", {**form, "accent": "red"}).status_code == 400
    assert post(signed_in, site, "widget", {**form, "position": "top"}).status_code == 400
    assert snapshot(app, site.id) == before


def test_assistant_settings_and_write_only_api_key(app, signed_in, site):
    form = {
        "engine": "llm",
        "model": "gpt-4o-mini",
        "temperature": "0.4",
        "top_p": "0.9",
        "top_k": "",
        "max_tokens": "800",
        "system_prompt_additions": "Be brief.",
        "base_url": "",
        "api_key": SECRET_KEY,
        "daily_token_budget": "50000",
    }
    assert post(signed_in, site, "assistant", form).status_code == 302
    columns = snapshot(app, site.id)[0]
    assert columns["llm_settings"] == {
        "engine": "llm",
        "model": "gpt-4o-mini",
        "temperature": 0.4,
        "top_p": 0.9,
        "max_tokens": 800,
        "system_prompt_additions": "Be brief.",
        "api_key": SECRET_KEY,
    }
    assert columns["daily_token_budget"] == 50000
    page = signed_in.get(url(site, "assistant")).get_data(as_text=True)
    assert SECRET_KEY not in page and "API key (set" in page
    assert "api_key" in audit_fields(app, "settings.assistant")
    with app.extensions["frontdesk.db"].session() as session:
        logged = [e.data for e in session.scalars(select(AuditEvent))]
    assert SECRET_KEY not in repr(logged)
    # A blank key field keeps the stored key.
    assert post(signed_in, site, "assistant", {**form, "api_key": ""}).status_code == 302
    assert snapshot(app, site.id)[0]["llm_settings"]["api_key"] == SECRET_KEY
    before = snapshot(app, site.id)
    for bad in (
        {"temperature": "3"},
        {"top_p": "-0.1"},
        {"top_k": "-1"},
        {"engine": "magic"},
        {"system_prompt_additions": "x" * 2001},
        {"base_url": "file:///etc"},
    ):
        response = post(signed_in, site, "assistant", {**form, **bad})
        assert response.status_code == 400, bad
        assert SECRET_KEY not in response.get_data(as_text=True)
    assert snapshot(app, site.id) == before
    assert post(signed_in, site, "assistant/clear-key", {}).status_code == 302
    assert "api_key" not in snapshot(app, site.id)[0]["llm_settings"]
    assert "API key (not set" in signed_in.get(url(site, "assistant")).get_data(as_text=True)


def test_provider_address_vetted_when_saved_and_its_change_audited(app, signed_in, site):
    form = {"engine": "llm", "model": "m", "base_url": "http://127.0.0.1:11434/v1"}
    response = post(signed_in, site, "assistant", form)
    assert response.status_code == 400
    assert "private or local address" in response.get_data(as_text=True)
    assert "base_url" not in (snapshot(app, site.id)[0]["llm_settings"] or {})
    app.config["OUTBOUND_ALLOWED_HOSTS"] = "127.0.0.1:11434"  # the operator's local Ollama
    assert post(signed_in, site, "assistant", form).status_code == 302
    with app.extensions["frontdesk.db"].session() as session:
        event = session.scalars(
            select(AuditEvent).where(AuditEvent.action == "settings.assistant")
        ).all()[-1]
    assert event.actor_type == "staff"
    assert event.data["provider"] == {
        "before": {"base_url": "", "own_key": False},
        "after": {"base_url": "http://127.0.0.1:11434/v1", "own_key": False},
    }
    app.config["LLM_SITE_BASE_URLS"] = "https://api.openai.com/v1"
    response = post(signed_in, site, "assistant", {**form, "base_url": "http://127.0.0.1:11434/"})
    assert response.status_code == 400
    assert "only these provider addresses" in response.get_data(as_text=True)


def test_moderation_saved(app, signed_in, site):
    form = {"mode": "local", "blocked_terms": "Casino\n\nviagra\ncasino", "redact_pii": "on"}
    assert post(signed_in, site, "moderation", form).status_code == 302
    assert snapshot(app, site.id)[0]["moderation"] == {
        "mode": "local",
        "blocked_terms": ["casino", "viagra"],
        "redact_pii": True,
    }
    before = snapshot(app, site.id)
    assert post(signed_in, site, "moderation", {**form, "mode": "strict"}).status_code == 400
    assert snapshot(app, site.id) == before


def test_other_sites_staff_get_404(app, client, site):
    db = app.extensions["frontdesk.db"]
    other = make_site(db, name="Other")
    make_staff(db, other.id, "bob@other.test")
    sign_in(client, "bob@other.test")
    assert client.get(url(site)).status_code == 404
    token = csrf_from(client.get(url(other)).get_data(as_text=True))
    before = snapshot(app, site.id)
    response = client.post(
        url(site, "origins"), data={"csrf_token": token, "origins": "https://x.test"}
    )
    assert response.status_code == 404
    assert snapshot(app, site.id) == before


@pytest.mark.browser
def test_widget_preview_follows_the_form_in_chromium(sqlite_url, tmp_path, browser):
    """The preview script runs under the dashboard CSP and recolours/relabels the mock live."""
    from frontdesk import create_app

    app = create_app(app_config(sqlite_url, tmp_path))
    db = app.extensions["frontdesk.db"]
    site = make_site(db)
    make_staff(db, site.id)
    server = LiveServer(app).start()
    errors: list[str] = []
    try:
        page = browser.new_page()
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        page.goto(f"{server.url}/staff/signin")
        page.fill("input[name=email]", "ana@studio.test")
        page.fill("input[name=password]", PASSWORD)
        page.click("button[type=submit]")
        page.goto(f"{server.url}/staff/{site.public_key}/settings/widget#widget")
        launcher = page.locator("#preview-launcher")
        page.fill("#appearance-launcher", "Ask away")
        page.fill("#appearance-title", "Harbour help")
        page.locator("#appearance-accent").evaluate(
            "el => { el.value = '#ffee00'; el.dispatchEvent(new Event('input', {bubbles: true})); }"
        )
        page.check("input[name=position][value=left]")
        assert launcher.inner_text() == "Ask away"
        assert page.locator("#preview-title").inner_text() == "Harbour help"
        colours = launcher.evaluate(
            "el => [getComputedStyle(el).backgroundColor, getComputedStyle(el).color]"
        )
        assert colours == ["rgb(255, 238, 0)", "rgb(0, 0, 0)"]  # dark text on yellow
        assert "is-left" in page.locator("#widget-preview").get_attribute("class")
        page.close()
    finally:
        server.stop()
        db.dispose()
    assert not [e for e in errors if "Content Security Policy" in e]
