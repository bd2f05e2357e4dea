"""Staff conversations pages over HTTP: list, search, filters, transcript audit, takeover."""

from __future__ import annotations

import re
from zoneinfo import ZoneInfo

from sqlalchemy import select

from frontdesk.assistant.base import ToolResult
from frontdesk.audit import Actor
from frontdesk.chat import conversation_store, transcript, turn_record
from frontdesk.chat.hub import hub_for
from frontdesk.chat.output import ChatOutput
from frontdesk.chat.runner import runner_for
from frontdesk.chat.status import change_status
from frontdesk.db.models import AuditEvent, Conversation, Message, Site
from tests.support.bookings import book
from tests.support.factories import make_site
from tests.support.forms import csrf_from

HELLO = {"page": {"url": "https://studio.test/pricing", "title": "Pricing"}, "tz": "Europe/Berlin",
         "lang": "en"}  # fmt: skip


def start_conversation(app, site, visitor: str, text: str) -> Conversation:
    """A conversation with one visitor message, stored by the chat module's own code."""
    db = app.extensions["frontdesk.db"]
    conversation = conversation_store.open_conversation(db, site.id, visitor, None, HELLO)
    transcript.append(db, conversation.id, "visitor", text, html=f"<p>{text}</p>", client_id="m1")
    return conversation


def set_status(app, conversation, status: str) -> None:
    """Change the status the chat's one way (as the system)."""
    db = app.extensions["frontdesk.db"]
    change_status(db, hub_for(app), conversation.id, status, actor=Actor("system"))


def output(app, conversation) -> ChatOutput:
    return ChatOutput(
        app.extensions["frontdesk.db"], hub_for(app),
        site_id=conversation.site_id, conversation_id=conversation.id,
    )  # fmt: skip


def list_url(site, **query) -> str:
    suffix = "&".join(f"{k}={v}" for k, v in query.items())
    return f"/staff/{site.public_key}/conversations/" + (f"?{suffix}" if suffix else "")


def list_order(html: str) -> list[str]:
    """Public ids of the inbox list's rows, top to bottom."""
    start = html.index('id="conv-list"')
    part = html[start : html.index("</ul>", start)]
    return re.findall(r'data-conversation="([^"]+)"', part)


def test_list_puts_people_waiting_first_then_newest_activity(app, site, signed_in):
    flagged = start_conversation(app, site, "v-old", "What are your prices?")
    waiting = start_conversation(app, site, "v-mid", "Can I talk to someone?")
    newest = start_conversation(app, site, "v-new", "Do you build websites?")
    conversation_store.flag(app.extensions["frontdesk.db"], flagged.id, None)
    set_status(app, waiting, "needs_human")
    transcript.append(app.extensions["frontdesk.db"], newest.id, "visitor", "Hello?",
                      html="<p>Hello?</p>", client_id="m2")  # fmt: skip
    html = signed_in.get(list_url(site)).get_data(as_text=True)
    order = list_order(html)
    assert set(order[:2]) == {waiting.public_id, flagged.public_id}  # waiting first
    assert order[2] == newest.public_id
    assert "Needs a person" in html and "Flagged" in html
    waiting_only = list_order(signed_in.get(list_url(site, view="waiting")).get_data(as_text=True))
    assert set(waiting_only) == {waiting.public_id, flagged.public_id}
    flagged_only = list_order(signed_in.get(list_url(site, view="flagged")).get_data(as_text=True))
    assert flagged_only == [flagged.public_id]


def test_search_by_visitor_text_and_booking_email(app, site, signed_in, app_bookings):
    prices = start_conversation(app, site, "v1", "What are your PRICES for a 50% discount?")
    other = start_conversation(app, site, "v2", "Hello there")
    book(app_bookings, site, email="grace@navy.test", visitor_id=other.visitor_id,
         conversation_id=other.id)  # fmt: skip
    html = signed_in.get(list_url(site, q="prices")).get_data(as_text=True)
    assert prices.public_id in html and other.public_id not in html
    html = signed_in.get(list_url(site, q="grace@navy")).get_data(as_text=True)
    assert other.public_id in html and prices.public_id not in html
    # LIKE wildcards are literal text, not patterns.
    html = signed_in.get(list_url(site, q="%25")).get_data(as_text=True)
    assert prices.public_id in html and other.public_id not in html


def test_filter_by_status(app, site, signed_in):
    open_one = start_conversation(app, site, "v1", "First")
    closed = start_conversation(app, site, "v2", "Second")
    set_status(app, closed, "closed")
    html = signed_in.get(list_url(site, status="closed")).get_data(as_text=True)
    assert closed.public_id in html and open_one.public_id not in html
    html = signed_in.get(list_url(site, status="nonsense")).get_data(as_text=True)
    assert closed.public_id in html and open_one.public_id in html  # unknown filter: ignored


def test_detail_shows_tool_calls_results_usage_and_bookings(app, site, signed_in, app_bookings):
    conversation = start_conversation(app, site, "v1", "Book me in")
    out = output(app, conversation)
    out.record_tool("call_1", "find_available_slots", {"service": "consult"},
                    ToolResult(ok=True, content={"slots": ["2026-12-01T23:00:00Z"]}))  # fmt: skip
    out.record_tool("call_2", "propose_booking", {"service": "nope"}, None, error="unknown service")
    out.post("assistant", "Here are **some** times <script>alert(1)</script>")
    out.record_usage(1234, 56)  # saved with the turn, as the chat runner does
    turn_record.save_turn(app.extensions["frontdesk.db"], conversation.id, {}, site_id=site.id,
                    tokens=out.take_usage())  # fmt: skip
    booking_id = book(app_bookings, site, email="ada@example.com",
                      visitor_id=conversation.visitor_id,
                      conversation_id=conversation.id).booking.public_id  # fmt: skip
    with app.extensions["frontdesk.db"].transaction() as session:
        session.get(Site, site.id).llm_settings = {"model": "gpt-4o-mini"}
    page = signed_in.get(f"/staff/{site.public_key}/conversations/{conversation.public_id}")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "find_available_slots" in html and "2026-12-01T23:00:00Z" in html
    assert "propose_booking" in html and "error: unknown service" in html
    assert "<strong>some</strong>" in html and "<script>alert(1)" not in html
    assert "1234" in html and "56" in html
    assert "$0.0002" in html  # 1234 x $0.15/M + 56 x $0.60/M
    assert booking_id in html and "ada@example.com" in html
    assert "Berlin time" in html and "https://studio.test/pricing" in html


def test_a_card_the_visitor_was_shown_is_told_in_words_with_a_link_to_its_booking(
    app, site, signed_in, app_bookings
):
    conversation = start_conversation(app, site, "v1", "Book me in")
    made = book(app_bookings, site, conversation_id=conversation.id).booking
    card = {"type": "booking_confirmed", "booking": made.public_id, "service": "Consultation",
            "business_time": "Wed 2 Dec 2026, 10:00–10:30 am (Sydney time)"}  # fmt: skip
    output(app, conversation).post("assistant", "You're booked.", {"card": card})
    html = signed_in.get(list_url(site) + conversation.public_id).get_data(as_text=True)
    note = re.search(r'<p class="muted card-note">(.*?)</p>', html, re.S).group(1)
    words = " ".join(re.sub(r"<[^>]+>", "", note).split())
    assert words == (
        f"Card shown: Booking confirmed · Consultation, Wed 2 Dec 2026, 10:00–10:30 am "
        f"(Sydney time) · {made.public_id}"
    )
    assert f'href="/staff/{site.public_key}/bookings/{made.public_id}"' in note
    # The details give its date as every dashboard page does: "Wed 2 Dec", never "Wed 02 Dec".
    start = made.start.astimezone(ZoneInfo(site.timezone))
    assert f"{start:%a %-d %b %Y, %H:%M}</span>" in html


def test_unknown_conversation_is_404(site, signed_in):
    assert signed_in.get(f"/staff/{site.public_key}/conversations/c_nope").status_code == 404


def post_action(client, site, conversation, action: str, **data):
    url = f"/staff/{site.public_key}/conversations/{conversation.public_id}"
    token = csrf_from(client.get(url).get_data(as_text=True))
    return client.post(f"{url}/{action}", data={"csrf_token": token, **data})


def status_of(app, conversation) -> str:
    return conversation_store.get_conversation(
        app.extensions["frontdesk.db"], conversation.id
    ).status


def test_takeover_reply_handback_and_close(app, site, staff, signed_in):
    db = app.extensions["frontdesk.db"]
    conversation = start_conversation(app, site, "v1", "Can I talk to a person?")
    assert post_action(signed_in, site, conversation, "takeover").status_code == 302
    assert status_of(app, conversation) == "staff"
    assert (
        post_action(signed_in, site, conversation, "reply", text="Hi, Ana here.").status_code == 302
    )
    with db.session() as session:
        rows = session.scalars(
            select(Message).where(Message.conversation_id == conversation.id).order_by(Message.seq)
        ).all()
        staff_rows = [row for row in rows if row.role == "staff"]
        assert [row.text for row in staff_rows] == ["Hi, Ana here."]
        assert staff_rows[0].payload["author"]["id"] == staff.id
        assert any(row.role == "system" and "joined" in row.text for row in rows)
    assert post_action(signed_in, site, conversation, "handback").status_code == 302
    assert status_of(app, conversation) == "bot"
    assert post_action(signed_in, site, conversation, "close").status_code == 302
    assert status_of(app, conversation) == "closed"
    with db.session() as session:
        actions = session.scalars(
            select(AuditEvent.action).where(AuditEvent.subject_id == conversation.public_id)
        ).all()
    assert actions.count("conversation.status") == 3
    assert "conversation.staff_message" in actions


def test_an_action_shows_the_new_state_once(app, site, signed_in):
    conversation = start_conversation(app, site, "v1", "Hello")
    page = post_action(signed_in, site, conversation, "takeover")
    html = signed_in.get(page.headers["Location"]).get_data(as_text=True)
    # The state box says it; no notice above the inbox repeats it.
    assert 'id="conversation-status" data-status="staff"' in html
    assert html.count("The assistant stays silent.") == 1
    assert "notice--success" not in html


def test_hand_back_from_the_dashboard_answers_the_question_asked_meanwhile(app, site, signed_in):
    db = app.extensions["frontdesk.db"]
    conversation = start_conversation(app, site, "v1", "Hello")
    post_action(signed_in, site, conversation, "takeover")
    transcript.append(db, conversation.id, "visitor", "What are your opening hours?", html="",
                      client_id="m2")  # fmt: skip
    post_action(signed_in, site, conversation, "handback")
    post_action(signed_in, site, conversation, "handback")  # clicked twice
    assert runner_for(app).wait_idle(timeout=30)
    with db.session() as session:
        roles = session.scalars(
            select(Message.role).where(Message.conversation_id == conversation.id)
            .where(Message.role.in_(("visitor", "system", "staff", "assistant")))
            .order_by(Message.seq)
        ).all()  # fmt: skip
    # The assistant is back, then answers the question asked while staff had the chat, once.
    assert roles[-3:] == ["visitor", "system", "assistant"]
    assert roles.count("assistant") == 1


def test_reply_to_a_bot_conversation_takes_it_over(app, site, signed_in):
    conversation = start_conversation(app, site, "v1", "Hello")
    post_action(signed_in, site, conversation, "reply", text="Hello from the team")
    assert status_of(app, conversation) == "staff"


def test_empty_or_too_long_reply_stores_nothing(app, site, signed_in):
    conversation = start_conversation(app, site, "v1", "Hello")
    for text in ("   ", "x" * 4001):
        response = post_action(signed_in, site, conversation, "reply", text=text)
        assert response.status_code == 302
        page = signed_in.get(response.headers["Location"]).get_data(as_text=True)
        assert "Not sent" in page
    with app.extensions["frontdesk.db"].session() as session:
        roles = session.scalars(
            select(Message.role).where(Message.conversation_id == conversation.id)
        ).all()
    assert roles == ["visitor"]
    assert status_of(app, conversation) == "bot"


def test_other_sites_conversations_are_404(app, site, signed_in):
    other_site = make_site(app.extensions["frontdesk.db"], name="Other")
    foreign = start_conversation(app, other_site, "v9", "Secret question")
    # Own site key, foreign conversation id:
    url = f"/staff/{site.public_key}/conversations/{foreign.public_id}"
    assert signed_in.get(url).status_code == 404
    assert post_action_raw(signed_in, site, url + "/takeover").status_code == 404
    assert status_of(app, foreign) == "bot"
    # The other site's own pages:
    assert signed_in.get(list_url(other_site)).status_code == 404
    assert "Secret question" not in signed_in.get(list_url(site)).get_data(as_text=True)


def post_action_raw(client, site, url):
    token = csrf_from(client.get(list_url(site)).get_data(as_text=True))
    return client.post(url, data={"csrf_token": token})


def test_anonymous_is_sent_to_signin(client, site):
    response = client.get(list_url(site))
    assert response.status_code == 302 and "/staff/signin" in response.headers["Location"]


def test_hostile_visitor_text_is_shown_as_text(app, site, signed_in):
    hostile = '<img src=x onerror="alert(1)"><script>alert(2)</script>'
    conversation = start_conversation(app, site, "v1", hostile)
    for url in (list_url(site), f"{list_url(site)}{conversation.public_id}"):
        html = signed_in.get(url).get_data(as_text=True)
        assert "<img src=x" not in html and "<script>alert(2)" not in html
        assert "&lt;script&gt;alert(2)&lt;/script&gt;" in html


def test_entries_after_a_seq_are_drawn_as_on_the_page(app, site, signed_in, app_bookings):
    conversation = start_conversation(app, site, "v1", "Book me in")
    made = book(app_bookings, site, conversation_id=conversation.id).booking
    card = {"type": "booking_confirmed", "booking": made.public_id, "service": "Consultation"}
    output(app, conversation).post("assistant", "You're **booked**.", {"card": card})
    url = list_url(site) + conversation.public_id
    page = signed_in.get(url).get_data(as_text=True)
    whole = page[page.index('id="transcript"') : page.index("</ol>", page.index('id="transcript"'))]
    response = signed_in.get(f"{url}/entries?after=1")
    assert response.status_code == 200 and response.headers["Cache-Control"] == "no-store"
    assert response.headers["X-Visitor-Name"] == "Ada%20Lovelace"  # named by the booking
    part = response.get_data(as_text=True)
    assert 'data-seq="1"' not in part and 'data-seq="2"' in part
    assert "day-divider" not in part  # the same day as the entry before it
    entry = re.search(r'<li class="entry entry--assistant".*?</li>\s*(?=<li|$)', part, re.S)

    def plain(html: str) -> str:  # a CSRF token is signed with the time: each request's differs
        return " ".join(re.sub(r'name="csrf_token" value="[^"]*"', "", html).split())

    assert entry and plain(entry.group(0)) in plain(whole)
    assert "Card shown: Booking confirmed" in part and "<strong>booked</strong>" in part
    assert "day-divider" in signed_in.get(f"{url}/entries?after=0").get_data(as_text=True)
    assert signed_in.get(f"{url}/entries?after=99").get_data(as_text=True).strip() == ""
    assert signed_in.get(f"{url}/entries?after=99999999999999").status_code == 200
    # Another site's conversation: nothing.
    other = start_conversation(app, make_site(app.extensions["frontdesk.db"], name="O"), "v", "x")
    assert signed_in.get(f"{list_url(site)}{other.public_id}/entries?after=0").status_code == 404
