"""The inbox over HTTP: who the visitor is, unread counts that clear when read, the views
(live now, with a booking), times in the site's zone, and previews as plain words."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest
from sqlalchemy import update

from frontdesk.chat import presence
from frontdesk.chat.hub import hub_for
from frontdesk.chat.render import render_markdown
from frontdesk.db.models import Conversation, Message
from frontdesk.staff import inbox, inbox_state
from tests.support.bookings import book
from tests.support.conversations import make_conversation

pytestmark = pytest.mark.site(timezone="America/New_York")


def inbox_url(site, **query) -> str:
    suffix = "&".join(f"{k}={v}" for k, v in query.items())
    return f"/staff/{site.public_key}/conversations/" + (f"?{suffix}" if suffix else "")


def rows(html: str) -> dict[str, str]:
    """Each list row's HTML by public id."""
    start = html.index('id="conv-list"')
    part = html[start : html.index("</ul>", start)]
    found = re.findall(r'(<li class="conv-item.*?</li>)', part, re.S)
    return {re.search(r'data-conversation="([^"]+)"', row).group(1): row for row in found}


def set_columns(db, conversation, **values) -> None:
    with db.transaction() as session:
        session.execute(
            update(Conversation).where(Conversation.id == conversation.id).values(**values)
        )


def test_the_visitor_is_named_once_known_else_by_their_page(db, site, signed_in, bookings):
    anonymous = make_conversation(db, site, texts=[("visitor", "Hi")])
    title = "Pricing — Test Studio, websites and tours"  # the site's tagline is left out
    set_columns(db, anonymous, page_title=title, page_url="https://studio.test/pricing")
    contact = make_conversation(db, site, texts=[("visitor", "Call me")])
    set_columns(db, contact, contact_name="Grace Hopper", contact_email="grace@navy.test")
    booked = make_conversation(db, site, texts=[("visitor", "Book me")])
    book(bookings, site, name="Ada Lovelace", email="ada@example.com", conversation_id=booked.id)

    listed = rows(signed_in.get(inbox_url(site)).get_data(as_text=True))
    assert "Visitor on Pricing<" in listed[anonymous.public_id]
    assert "Grace Hopper" in listed[contact.public_id]
    assert "Ada Lovelace" in listed[booked.public_id] and "Booked" in listed[booked.public_id]

    page = signed_in.get(inbox_url(site) + contact.public_id).get_data(as_text=True)
    head = page[page.index('class="conv__head"') : page.index('class="conv__body"')]
    assert "Grace Hopper" in head and "grace@navy.test" in head
    assert contact.public_id not in re.sub(r'"[^"]*"', "", head)  # never headed by a raw id

    with_booking = rows(signed_in.get(inbox_url(site, view="booked")).get_data(as_text=True))
    assert list(with_booking) == [booked.public_id]


def test_a_conversation_whose_booking_was_cancelled_is_not_marked_booked(
    app, db, site, signed_in, bookings
):
    """The row says "Booked" only while a booking stands, in the page and in the live rows."""
    from frontdesk.audit import Actor

    conversation = make_conversation(db, site, texts=[("visitor", "Book me, then cancel")])
    made = book(bookings, site, conversation_id=conversation.id)
    bookings.cancel(made.booking.public_id, Actor("visitor", "chat"))

    row = rows(signed_in.get(inbox_url(site)).get_data(as_text=True))[conversation.public_id]
    assert "Booking cancelled" in row and ">Booked<" not in row
    with app.app_context():  # the row the live socket sends
        live = inbox.summary_of(site.id, conversation.public_id, inbox.ZoneInfo("UTC"))
    assert (live["bookings"], live["cancelled_bookings"]) == (0, 1)

    book(bookings, site, conversation_id=conversation.id)  # booked again: it stands
    row = rows(signed_in.get(inbox_url(site)).get_data(as_text=True))[conversation.public_id]
    assert ">Booked<" in row and "Booking cancelled" not in row


def test_unread_counts_clear_when_the_conversation_is_opened(db, site, signed_in):
    conversation = make_conversation(
        db, site, texts=[("visitor", "One"), ("assistant", "Hi"), ("visitor", "Two")]
    )
    row = rows(signed_in.get(inbox_url(site)).get_data(as_text=True))[conversation.public_id]
    assert re.search(r"conv-item__unread[^>]*>2<", row)
    signed_in.get(inbox_url(site) + conversation.public_id)
    row = rows(signed_in.get(inbox_url(site)).get_data(as_text=True))[conversation.public_id]
    assert "conv-item__unread" not in row


def test_seen_never_goes_backwards_or_past_the_end(app, db, site):
    conversation = make_conversation(db, site, texts=[("visitor", "a"), ("visitor", "b")])
    with app.app_context():
        assert inbox_state.mark_seen(site.id, conversation.public_id, 99)
        assert not inbox_state.mark_seen(site.id, conversation.public_id, 1)
        assert not inbox_state.mark_seen(site.id + 1, conversation.public_id, 2)  # other site
    with db.session() as session:
        assert session.get(Conversation, conversation.id).staff_seen_seq == 2


def test_live_now_follows_the_visitors_socket(app, db, site, signed_in):
    here = make_conversation(db, site, texts=[("visitor", "Still here")])
    gone = make_conversation(db, site, texts=[("visitor", "Bye")])
    hub = hub_for(app)
    presence.mark(db, hub, site.id, here, True)
    presence.mark(db, hub, site.id, gone, True)
    presence.mark(db, hub, site.id, gone, False)
    live = rows(signed_in.get(inbox_url(site, view="live")).get_data(as_text=True))
    assert list(live) == [here.public_id] and "Live" in live[here.public_id]
    # A process that died without saying goodbye: live for LIVE_GRACE at most.
    set_columns(db, here, visitor_seen_at=datetime(2020, 1, 1, tzinfo=UTC))
    assert rows(signed_in.get(inbox_url(site, view="live")).get_data(as_text=True)) == {}


def test_times_are_in_the_sites_zone_and_previews_are_plain_words(db, site, signed_in):
    conversation = make_conversation(
        db,
        site,
        texts=[
            ("visitor", "Prices?"),
            ("assistant", "From **$2,400**, see [our page](https://x.test)."),
        ],
    )
    moment = datetime(2026, 12, 7, 15, 5, tzinfo=UTC)  # 10:05 in New York
    with db.transaction() as session:
        session.execute(
            update(Message)
            .where(Message.conversation_id == conversation.id)
            .values(created_at=moment)
        )
    row = rows(signed_in.get(inbox_url(site)).get_data(as_text=True))[conversation.public_id]
    assert "From $2,400, see our page." in row and "**" not in row
    page = signed_in.get(inbox_url(site) + conversation.public_id).get_data(as_text=True)
    assert ">10:05<" in page and "New York time" in page
    assert "<strong>$2,400</strong>" in page  # the transcript renders the Markdown


@pytest.mark.parametrize(
    "text",
    [
        "From **$2,400**, see [our page](https://x.test).",
        "Times:\n\n- Mon 10:00\n- Tue *14:00*\n\n> a quote & <b>tags</b>",
        "# Heading\n\n`code` and ![a map](https://x.test/m.png) 1 < 2",
    ],
)
def test_a_preview_from_the_stored_html_reads_as_one_from_the_markdown(text):
    # The list reads the HTML the chat stored with each message instead of parsing it again.
    for role in ("assistant", "staff"):
        stored = inbox.plain_text(text, role, render_markdown(text))
        assert stored == inbox.plain_text(text, role) and "**" not in stored


def test_the_booking_pages_transcript_excerpt_is_rendered_not_raw(db, site, signed_in, bookings):
    conversation = make_conversation(
        db, site, texts=[("visitor", "Book *me*"), ("assistant", "Booked: **Tuesday 10:00**.")]
    )
    result = book(bookings, site, conversation_id=conversation.id)
    page = signed_in.get(f"/staff/{site.public_key}/bookings/{result.booking.public_id}")
    html = page.get_data(as_text=True)
    excerpt = html[html.index('class="last-messages"') :]
    assert "<strong>Tuesday 10:00</strong>" in excerpt and "**" not in excerpt
    assert "Book *me*" in excerpt  # the visitor's own words stay as typed


def test_a_widget_only_opened_is_not_listed_until_someone_writes(app, db, site, signed_in):
    silent = make_conversation(db, site)
    greeted = make_conversation(db, site, texts=[("assistant", "Hello! How can I help?")])
    asked = make_conversation(db, site, texts=[("visitor", "Do you open on Sundays?")])
    reached = make_conversation(db, site, texts=[("staff", "Can I help you?")])
    hub = hub_for(app)
    for conversation in (silent, greeted, asked):
        presence.mark(db, hub, site.id, conversation, True)  # each widget is open
    set_columns(db, silent, status="needs_human")  # counted nowhere while nobody wrote

    for view in ("all", "live", "waiting"):
        listed = rows(signed_in.get(inbox_url(site, view=view)).get_data(as_text=True))
        assert silent.public_id not in listed and greeted.public_id not in listed
    assert set(rows(signed_in.get(inbox_url(site)).get_data(as_text=True))) == {
        asked.public_id,
        reached.public_id,
    }
    with app.app_context():
        assert inbox.waiting_count(site.id) == 0
        # The live socket's event for an opened widget carries no row for the list to add...
        assert inbox.summary_of(site.id, silent.public_id, inbox.ZoneInfo("UTC")) is None
        assert inbox.summary_of(site.id, asked.public_id, inbox.ZoneInfo("UTC"))["live"]
    # ...until the visitor does something: asking for a person is stored with their client id.
    with db.transaction() as session:
        session.add(Message(conversation_id=silent.id, seq=1, role="system", client_id="a1"))
    with app.app_context():
        assert inbox.waiting_count(site.id) == 1
        assert inbox.summary_of(site.id, silent.public_id, inbox.ZoneInfo("UTC"))["waiting"]
