"""Staff overview over real HTTP: daily activity in the site's zone, top and unanswered
questions, token usage and cost; plus the price table and the SVG chart on their own."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from frontdesk.db.models import Conversation, TokenUsage, UnansweredQuestion
from frontdesk.db.types import utcnow
from frontdesk.staff import charts, costs
from frontdesk.staff.overview import (
    QUESTIONS_SAMPLE,
    TOP_QUESTIONS,
    daily_activity,
    normalise_question,
)
from tests.support.bookings import VISITOR, book
from tests.support.conversations import make_conversation
from tests.support.dashboard_data import seed
from tests.support.factories import make_site
from tests.support.staff_accounts import make_staff, sign_in

SYDNEY = ZoneInfo("Australia/Sydney")
# Token costs are priced by the site's model.
pytestmark = pytest.mark.site(llm_settings={"model": "gpt-4o-mini"})


def _table_row(page: str, day) -> list[str]:
    table = page.split('id="activity-table"')[1].split("</table>")[0]
    row = table.split(f'<time datetime="{day.isoformat()}">')[1].split("</tr>")[0]
    return re.findall(r"<td>([^<]*)</td>", row)


def _backdate(app, conversation_id: int, moment: datetime) -> None:
    with app.extensions["frontdesk.db"].transaction() as session:
        session.get(Conversation, conversation_id).created_at = moment


def test_activity_counts_per_local_day_with_conversion(app, signed_in, site, db, app_bookings):
    today = utcnow().astimezone(SYDNEY).date()
    for _ in range(4):
        make_conversation(db, site, texts=[("visitor", "Hi")])
    book(app_bookings, site)
    # 00:30 Sydney yesterday is still the previous UTC day: it must count for yesterday.
    yesterday = today - timedelta(days=1)
    early = datetime.combine(yesterday, datetime.min.time(), SYDNEY) + timedelta(minutes=30)
    old = make_conversation(db, site, texts=[("visitor", "Earlier")])
    _backdate(app, old.id, early.astimezone(UTC))
    ancient = make_conversation(db, site, texts=[("visitor", "Long ago")])
    _backdate(app, ancient.id, utcnow() - timedelta(days=45))

    page = signed_in.get(f"/staff/{site.public_key}/").get_data(as_text=True)
    assert _table_row(page, today) == ["4", "1", "25%"]
    assert _table_row(page, yesterday)[:2] == ["1", "0"]
    assert 'data-total="conversations">5<' in page  # the 45-day-old one is outside
    assert 'data-total="conversion">20%<' in page
    svg = page.split("<svg")[1].split("</svg>")[0]
    assert 'role="img"' in svg and "<title" in svg and "<desc" in svg
    assert svg.count("<rect") == 60  # 30 days x 2 series
    assert "<details>" in page


def test_daily_counts_follow_local_midnight_across_a_clock_change(app, site, db):
    london = ZoneInfo("Europe/London")  # clocks go forward at 01:00 on Sunday 29 March 2026
    days = [date(2026, 3, 28), date(2026, 3, 29), date(2026, 3, 30)]
    local = [(28, 23, 59), (29, 0, 30), (29, 23, 30), (30, 0, 10), (31, 0, 0)]
    for day, hour, minute in local:
        moment = datetime(2026, 3, day, hour, minute, tzinfo=london)
        made = make_conversation(db, site, texts=[("visitor", "Hi")])
        _backdate(app, made.id, moment.astimezone(UTC))
    with db.session() as session:
        rows = daily_activity(session, site.id, london, days)
    # 00:10 on the 30th is 23:10 UTC on the 29th: it counts for the 30th, the local day.
    assert [r["conversations"] for r in rows] == [1, 2, 1]


def test_top_and_unanswered_questions(app, signed_in, site, db):
    for text in ("How much is it?", "how much is it", "HOW MUCH IS IT!!", "Where are you?"):
        make_conversation(db, site, texts=[("visitor", text), ("visitor", "second message")])
    conversation = make_conversation(db, site, texts=[("visitor", "Parking?")])
    with app.extensions["frontdesk.db"].transaction() as session:
        session.add_all([
            UnansweredQuestion(site_id=site.id, conversation_id=conversation.id,
                               question="Do you have <b>parking</b>?"),
            UnansweredQuestion(site_id=site.id, question="Old one", resolved=True),
            UnansweredQuestion(site_id=site.id, question="Is there parking?"),
            UnansweredQuestion(site_id=site.id, question="is there parking"),  # another visitor
        ])  # fmt: skip
    page = signed_in.get(f"/staff/{site.public_key}/").get_data(as_text=True)
    top = page.split('class="top-questions"')[1].split("</ol>")[0]
    assert top.index("how much is it") < top.index("where are you")
    assert "× 3" in top and "second message" not in top
    unanswered = page.split('class="unanswered"')[1].split("</ul>")[0]
    assert "Do you have &lt;b&gt;parking&lt;/b&gt;?" in unanswered
    assert "Old one" not in unanswered
    lines = unanswered.split("<li>")[1:]
    again = [line for line in lines if "there parking" in line.lower()]
    assert len(again) == 1 and "× 2" in again[0]  # the same question asked twice: one line
    assert "× " not in next(line for line in lines if "Do you have" in line)  # asked once


def test_chips_and_commands_are_not_top_questions(app, signed_in, site, db):
    """A starter chip's words, and a first message the engine acted on (it called a tool that
    books, lists bookings or fetches a person before the visitor wrote again), are not
    questions; a question answered from the knowledge base, or a command only in a later
    turn, still is."""
    person, book = "I'd like to talk to a person", "I'd like to book a consultation"
    for _ in range(3):
        make_conversation(db, site, texts=[("visitor", person), ("tool_call", "request_human")])
        make_conversation(db, site, texts=[("visitor", book, {"via": "choice"})])
        make_conversation(db, site, texts=[
            ("visitor", "cancel my booking"), ("tool_call", "list_my_bookings"),
        ])  # fmt: skip
        make_conversation(db, site, texts=[  # a note before it: the command is still one
            ("staff", "Hello!"), ("visitor", "move my booking"), ("tool_call", "list_my_bookings"),
        ])  # fmt: skip
    make_conversation(db, site, texts=[
        ("visitor", "Do you open on Sundays?"), ("tool_call", "search_knowledge"),
        ("assistant", "No."), ("visitor", "book me in"), ("tool_call", "find_available_slots"),
    ])  # fmt: skip
    page = signed_in.get(f"/staff/{site.public_key}/").get_data(as_text=True)
    top = page.split('class="top-questions"')[1].split("</ol>")[0]
    assert "do you open on sundays" in top
    for command in ("talk to a person", "book a consultation", "cancel my booking", "move my"):
        assert command not in top


def test_top_questions_come_from_the_latest_thousand_conversations(app, signed_in, site, db):
    # 1,040 in the last week; the page of the first question is the conversation's number
    # modulo 40, so the latest 1,000 ask about each of 40 pages 25 times (all 1,040: 26).
    seed(db, site.id, conversations=QUESTIONS_SAMPLE + 40, bookings=0)
    page = signed_in.get(f"/staff/{site.public_key}/").get_data(as_text=True)
    top = page.split('class="top-questions"')[1].split("</ol>")[0]
    assert top.count("× 25") == TOP_QUESTIONS and "× 26" not in top
    assert "Asked first in the latest 1,000 conversations." in page


def test_token_usage_and_cost(app, signed_in, site):
    today = utcnow().astimezone(SYDNEY).date()
    with app.extensions["frontdesk.db"].transaction() as session:
        session.add(TokenUsage(site_id=site.id, day=today, prompt_tokens=600_000,
                               completion_tokens=100_000))  # fmt: skip
        session.add(
            TokenUsage(
                site_id=site.id,
                day=today,
                shard=5,
                prompt_tokens=400_000,
                completion_tokens=400_000,
            )
        )  # a day's rows are summed (shards)
    page = signed_in.get(f"/staff/{site.public_key}/").get_data(as_text=True)
    assert 'data-total="cost">$0.45<' in page  # 0.15 + 0.5 x 0.60
    assert "1,000,000" in page and "500,000" in page


@pytest.mark.app_config(ENGINE=None, OPENAI_API_KEY="sk-test")
def test_unknown_model_cost_is_na(app, client):
    db = app.extensions["frontdesk.db"]
    site = make_site(db, llm_settings={"model": "mystery-model"})
    make_staff(db, site.id, "b@studio.test")
    sign_in(client, "b@studio.test")
    page = client.get(f"/staff/{site.public_key}/").get_data(as_text=True)
    assert 'data-total="cost">n/a<' in page


def test_cancelled_bookings_do_not_count(app, signed_in, site, db, app_bookings):
    make_conversation(db, site, texts=[("visitor", "Hi")])
    make_conversation(db, site, texts=[("visitor", "Hello")])
    kept = book(app_bookings, site).booking
    for _ in range(2):
        gone = book(app_bookings, site).booking
        app_bookings.cancel(gone.public_id, VISITOR)
    page = signed_in.get(f"/staff/{site.public_key}/").get_data(as_text=True)
    assert 'data-total="bookings">1<' in page and 'data-total="conversion">50%<' in page
    assert 'data-total="cancelled">2 cancelled, not counted<' in page
    today = utcnow().astimezone(SYDNEY).date()
    assert _table_row(page, today) == ["2", "1", "50%"]
    assert kept.status == "confirmed"


def test_the_overview_names_the_engine_that_answers(app, signed_in, site):
    page = signed_in.get(f"/staff/{site.public_key}/").get_data(as_text=True)
    line = page.split('id="engine-in-use"')[1].split("</p>")[0]
    assert "the offline engine (built in, no LLM)" in line
    assert "the server sets ENGINE=offline" in line
    assert "uses no tokens" in page and "gpt-4o-mini" not in page  # no model named


@pytest.mark.app_config(ENGINE=None, OPENAI_API_KEY="sk-test")
def test_auto_is_resolved_to_the_model_when_a_provider_is_configured(app, signed_in, site):
    page = signed_in.get(f"/staff/{site.public_key}/").get_data(as_text=True)
    line = page.split('id="engine-in-use"')[1].split("</p>")[0]
    assert "the model gpt-4o-mini at api.openai.com" in line
    assert "automatic: a provider is configured" in line


@pytest.mark.app_config(ENGINE=None, OPENAI_API_KEY=None)
def test_auto_without_a_provider_is_the_offline_engine_and_says_why(app, signed_in, site):
    page = signed_in.get(f"/staff/{site.public_key}/").get_data(as_text=True)
    line = page.split('id="engine-in-use"')[1].split("</p>")[0]
    assert "the offline engine" in line and "automatic: no LLM provider is configured" in line


def test_price_table():
    assert costs.estimate("gpt-4o-mini", 1_000_000, 1_000_000) == Decimal("0.75")
    assert costs.estimate("gpt-4o-mini-2024-07-18", 1_000_000, 0) == Decimal("0.15")
    assert costs.estimate("gpt-4o-2024-08-06", 1_000_000, 0) == Decimal("2.50")
    assert costs.estimate("unknown", 10, 10) is None
    assert costs.estimate("", 10, 10) is None
    assert costs.format_cost(None) == "n/a"
    assert costs.format_cost(Decimal("0.0012")) == "$0.0012"


def test_question_normalising():
    assert normalise_question("  How MUCH, is it?? ") == "how much is it"
    assert normalise_question("!!!") == ""


def test_chart_escapes_labels():
    svg = str(charts.bar_chart("c", "<t>", "d&", ["<x>"], [charts.Series("s", [3], "bar")]))
    assert "<x>" not in svg and "&lt;x&gt;" in svg and "&lt;t&gt;" in svg


def test_the_command_tools_the_overview_leaves_out_are_tools_the_assistant_has():
    """staff may not import the assistant, so the overview names its command tools itself: a
    renamed tool must not silently turn its commands back into top questions."""
    from frontdesk.assistant.tools.specs import SPECS_BY_NAME
    from frontdesk.staff.overview import COMMAND_TOOLS

    assert set(COMMAND_TOOLS) <= set(SPECS_BY_NAME)
    assert "search_knowledge" not in COMMAND_TOOLS and "list_services" not in COMMAND_TOOLS


def test_a_widget_opened_and_left_silent_is_no_conversation(app, signed_in, site, db, app_bookings):
    make_conversation(db, site)  # opened, nothing written
    make_conversation(db, site, texts=[("assistant", "Hello! How can I help?")])
    make_conversation(db, site, texts=[("visitor", "Hi"), ("assistant", "Hello!")])
    make_conversation(db, site, texts=[("staff", "Can I help?")])
    book(app_bookings, site)
    today = utcnow().astimezone(SYDNEY).date()
    page = signed_in.get(f"/staff/{site.public_key}/").get_data(as_text=True)
    assert _table_row(page, today) == ["2", "1", "50%"]
    assert 'data-total="conversations">2<' in page
