"""Visitor privacy over real HTTP and the real chat tools: erasure leaves no trace of the
visitor in any table, export hands over their data, retention purges old transcripts."""

from __future__ import annotations

import email
import email.policy
import json
from datetime import timedelta

import pytest
from click.testing import CliRunner
from sqlalchemy import select, update

from frontdesk.assistant.tools.toolbox import ConversationTools
from frontdesk.audit import Actor
from frontdesk.chat.hub import hub_for
from frontdesk.chat.status import status_changer
from frontdesk.db.models import (
    AuditEvent,
    Base,
    Booking,
    Conversation,
    Message,
    OutboxEmail,
    Proposal,
    Site,
    UnansweredQuestion,
)
from frontdesk.db.types import utcnow
from frontdesk.retention import purge_expired
from frontdesk.retention_cli import purge_command
from tests.support.apps import QUEUE_ONLY_SMTP
from tests.support.bookings import book, upcoming_starts
from tests.support.conversations import make_conversation
from tests.support.factories import make_site
from tests.support.forms import csrf_from

ADA = {"name": "Ada Lovelace", "email": "Ada.Lovelace@Example.com", "phone": "+61 400 123 456"}
GRACE = {"name": "Grace Hopper", "email": "grace@example.com", "phone": "+1 555 0100"}
# The app's mailer queues e-mail in the outbox (no worker sends it).
pytestmark = pytest.mark.app_config(SMTP_URL=QUEUE_ONLY_SMTP)


def chat_booking(app, site, person: dict, start) -> Conversation:
    """A visitor books in a chat through the real tools; the transcript names them."""
    db = app.extensions["frontdesk.db"]
    visitor_id = "v_" + person["name"].split()[0].lower()
    conversation = make_conversation(db, site, visitor_id=visitor_id, texts=[
        ("visitor", f"Hi, I'm {person['name']}, mail me at {person['email']}"),
        ("assistant", f"Thanks {person['name']}! Which day suits you?"),
        ("visitor", f"Call me on {person['phone']} if needed"),
    ])  # fmt: skip
    tools = ConversationTools(
        app.extensions["frontdesk.db"], app.extensions["frontdesk.bookings"], site,
        conversation_id=conversation.id, visitor_id=visitor_id, visitor_tz="Europe/London",
        change_status=status_changer(
            app.extensions["frontdesk.db"], hub_for(app), conversation.id, Actor("assistant")
        ),
    )  # fmt: skip
    proposal = tools.call("propose_booking", {
        "service": "consult", "start": start.isoformat(), "name": person["name"],
        "email": person["email"], "phone": person["phone"], "notes": f"For {person['name']}",
    })  # fmt: skip
    assert proposal.ok, proposal.content
    assert tools.confirm(proposal.card["proposal"]).ok
    with app.extensions["frontdesk.db"].transaction() as session:
        session.add(UnansweredQuestion(site_id=site.id, conversation_id=conversation.id,
                                       question=f"Is {person['name']} on the list?"))  # fmt: skip
    # A second chat of the same visitor, without a booking.
    make_conversation(db, site, visitor_id=visitor_id, texts=[("visitor", "Back again")])
    return conversation


def every_value(app) -> list[str]:
    """Every stored value of every table, lower-cased (e-mails also MIME-decoded)."""
    values = []
    with app.extensions["frontdesk.db"].session() as session:
        for table in Base.metadata.sorted_tables:
            for row in session.execute(select(table)):
                for value in row:
                    if isinstance(value, bytes | memoryview):
                        raw = bytes(value)
                        values.append(raw.decode("utf-8", "replace"))
                        message = email.message_from_bytes(raw, policy=email.policy.default)
                        values.extend(str(v) for v in message.values())
                        values.extend(p.get_content() for p in message.walk()
                                      if p.get_content_maintype() == "text")  # fmt: skip
                    else:
                        values.append(json.dumps(value, default=str) if value else "")
    return [v.lower() for v in values]


def traces(app, person: dict) -> list[str]:
    needles = [person["email"].lower(), person["name"].lower(), person["phone"]]
    needles += ["lovelace" if person is ADA else "hopper"]
    return [v[:120] for v in every_value(app) if any(n in v for n in needles)]


def test_erasure_leaves_nothing_of_the_visitor_in_any_table(app, signed_in, site, app_bookings):
    starts = upcoming_starts(app_bookings, site)
    ada_chat = chat_booking(app, site, ADA, starts[0])
    chat_booking(app, site, GRACE, starts[3])
    ada_booking = book(app_bookings, site, starts[6], name=ADA["name"],
                       email=ADA["email"].upper(), phone=ADA["phone"]).booking  # fmt: skip
    app.extensions["frontdesk.bookings"].cancel(
        ada_booking.public_id, _staff_actor(), reason=f"{ADA['name']} asked"
    )
    assert traces(app, ADA) and traces(app, GRACE)

    page = signed_in.get(f"/staff/{site.public_key}/privacy/").get_data(as_text=True)
    found = signed_in.post(f"/staff/{site.public_key}/privacy/lookup",
                           data={"csrf_token": csrf_from(page), "email": ADA["email"]})  # fmt: skip
    assert "2 booking(s) and 2 conversation(s)" in found.get_data(as_text=True)
    mismatch = signed_in.post(
        f"/staff/{site.public_key}/privacy/erase",
        data={"csrf_token": csrf_from(page), "email": ADA["email"], "confirm": "ada@example.org"},
    )
    assert mismatch.status_code == 400 and traces(app, ADA)

    response = signed_in.post(
        f"/staff/{site.public_key}/privacy/erase",
        data={
            "csrf_token": csrf_from(page),
            "email": ADA["email"],
            "confirm": ADA["email"].lower(),
        },
    )
    assert response.status_code == 303

    assert traces(app, ADA) == []
    assert traces(app, GRACE)  # the other visitor is untouched
    with app.extensions["frontdesk.db"].session() as session:
        kept = session.scalars(select(Booking).where(Booking.visitor_name == "Deleted visitor"))
        kept = {b.public_id: b for b in kept}
        assert session.get(Conversation, ada_chat.id) is None
        event = session.scalars(
            select(AuditEvent).where(AuditEvent.action == "privacy.erased")
        ).one()
        proposals = session.scalars(select(Proposal)).all()
    assert len(kept) == 2  # both of Ada's bookings, times kept for the calendar
    assert kept[ada_booking.public_id].start == ada_booking.start
    assert kept[ada_booking.public_id].status == "cancelled"
    assert all(b.email.endswith("@invalid") and not b.phone for b in kept.values())
    assert len(event.subject_id) == 64 and event.data["bookings"] == 2
    assert len(proposals) == 1  # Grace's
    # The old manage link no longer opens the anonymised booking.
    assert (
        app.extensions["frontdesk.bookings"].by_token(
            app.extensions["frontdesk.bookings"].manage_token(ada_booking)
        )
        is None
    )


def _staff_actor():
    from frontdesk.audit import Actor

    return Actor("staff", id="1")


def test_export_downloads_the_visitors_bookings_and_transcripts(app, signed_in, site, app_bookings):
    starts = upcoming_starts(app_bookings, site)
    chat_booking(app, site, ADA, starts[0])
    chat_booking(app, site, GRACE, starts[2])
    page = signed_in.get(f"/staff/{site.public_key}/privacy/").get_data(as_text=True)
    response = signed_in.post(f"/staff/{site.public_key}/privacy/export",
                              data={"csrf_token": csrf_from(page), "email": ADA["email"]})  # fmt: skip
    assert response.status_code == 200
    assert response.mimetype == "application/json"
    assert response.headers["Content-Disposition"].startswith("attachment;")
    data = response.get_json()
    assert [b["email"] for b in data["bookings"]] == [ADA["email"]]
    assert data["bookings"][0]["phone"] == ADA["phone"]
    texts = [m["text"] for c in data["conversations"] for m in c["messages"]]
    assert any(ADA["email"] in t for t in texts) and "Back again" in texts
    assert "grace" not in response.get_data(as_text=True).lower()


@pytest.mark.parametrize("bad", ["", "not-an-email", "a b@example.com", "x" * 300 + "@e.com"])
def test_bad_addresses_are_refused(app, signed_in, site, bad):
    page = signed_in.get(f"/staff/{site.public_key}/privacy/").get_data(as_text=True)
    for action in ("lookup", "export", "erase"):
        response = signed_in.post(f"/staff/{site.public_key}/privacy/{action}",
                                  data={"csrf_token": csrf_from(page), "email": bad, "confirm": bad})  # fmt: skip
        assert response.status_code == 400


def test_retention_setting_is_validated_and_saved(app, signed_in, site):
    page = signed_in.get(f"/staff/{site.public_key}/privacy/").get_data(as_text=True)
    url = f"/staff/{site.public_key}/privacy/retention"
    for bad in ("0", "-3", "abc", "99999", "1.5"):
        response = signed_in.post(url, data={"csrf_token": csrf_from(page), "retention_days": bad})
        assert response.status_code == 400
    assert _retention(app, site) is None
    signed_in.post(url, data={"csrf_token": csrf_from(page), "retention_days": "30"})
    assert _retention(app, site) == 30
    signed_in.post(url, data={"csrf_token": csrf_from(page), "retention_days": ""})
    assert _retention(app, site) is None


def _retention(app, site):
    with app.extensions["frontdesk.db"].session() as session:
        return session.get(Site, site.id).retention_days


def _age(app, conversation_id: int, days: int) -> None:
    with app.extensions["frontdesk.db"].transaction() as session:
        session.execute(update(Conversation).where(Conversation.id == conversation_id)
                        .values(updated_at=utcnow() - timedelta(days=days)))  # fmt: skip


def test_purge_removes_old_transcripts_and_keeps_booked_conversations(app, site, app_bookings):
    db = app.extensions["frontdesk.db"]
    keep_forever = make_site(db, name="No retention")
    with db.transaction() as session:
        session.get(Site, site.id).retention_days = 30
    booked = chat_booking(app, site, ADA, upcoming_starts(app_bookings, site)[0])
    stale = make_conversation(db, site, texts=[("visitor", "old question")])
    fresh = make_conversation(db, site, texts=[("visitor", "new question")])
    untouched = make_conversation(db, keep_forever, texts=[("visitor", "kept")])
    for conversation in (booked, stale, untouched):
        _age(app, conversation.id, 31)
    with db.transaction() as session:
        session.execute(update(OutboxEmail).values(created_at=utcnow() - timedelta(days=40),
                                                   sent_at=utcnow() - timedelta(days=40)))  # fmt: skip

    report = purge_expired(db, utcnow())
    assert report.sites == 1 and report.conversations == 1 and report.messages >= 4
    with db.session() as session:
        assert session.get(Conversation, stale.id) is None
        assert session.get(Conversation, booked.id) is not None  # the booking still points here
        remaining = {c: session.scalars(select(Message.text).where(Message.conversation_id == c)).all()
                     for c in (booked.id, fresh.id, untouched.id)}  # fmt: skip
        assert session.scalars(select(Booking)).one().conversation_id == booked.id
        assert session.scalars(select(OutboxEmail)).all() == []
    assert remaining == {booked.id: [], fresh.id: ["new question"], untouched.id: ["kept"]}
    assert purge_expired(db, utcnow()).conversations == 0  # nothing more to do


def test_purge_command_runs_against_the_configured_database(app, site, database_url, monkeypatch):
    db = app.extensions["frontdesk.db"]
    with db.transaction() as session:
        session.get(Site, site.id).retention_days = 7
    stale = make_conversation(db, site, texts=[("visitor", "old")])
    _age(app, stale.id, 8)
    monkeypatch.setenv("FRONTDESK_DATABASE_URL", database_url)
    monkeypatch.setenv("FRONTDESK_INSTANCE_PATH", str(app.instance_path))
    result = CliRunner().invoke(purge_command, [])
    assert result.exit_code == 0, result.output
    assert "Purged 1 conversation(s)" in result.output
    with db.session() as session:
        assert session.get(Conversation, stale.id) is None


def test_opening_the_overview_applies_retention(app, signed_in, site):
    db = app.extensions["frontdesk.db"]
    with db.transaction() as session:
        session.get(Site, site.id).retention_days = 7
    stale = make_conversation(db, site, texts=[("visitor", "old")])
    recent = make_conversation(db, site, texts=[("visitor", "new")])
    _age(app, stale.id, 8)
    assert signed_in.get(f"/staff/{site.public_key}/").status_code == 200
    with db.session() as session:
        assert session.get(Conversation, stale.id) is None
        assert session.get(Conversation, recent.id) is not None
