"""Staff dashboard overview: 30 days of conversations, bookings, questions and token spend."""

from __future__ import annotations

import re
import threading
import time
from collections import Counter
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

from flask import Blueprint, current_app, render_template
from sqlalchemy import bindparam, case, func, literal, select
from sqlalchemy.orm import aliased

from frontdesk.booking.zones import zone_label, zone_or_utc
from frontdesk.chat.engine_in_use import answering_engine
from frontdesk.db.models import Booking, Conversation, Message, TokenUsage, UnansweredQuestion
from frontdesk.db.models.booking import CANCELLED
from frontdesk.db.types import utcnow
from frontdesk.extensions import get_db
from frontdesk.retention import purge_expired
from frontdesk.staff import charts, costs
from frontdesk.staff.auth import site_required
from frontdesk.staff.booking_filters import local_midnight
from frontdesk.staff.conversation_queries import has_begun

bp = Blueprint("overview", __name__, url_prefix="/<site_key>")

DAYS = 30
TOP_QUESTIONS = 10
# Top questions are counted over the window's latest conversations only: every first message is
# normalised in Python, and a busy site's 6,000 a month, nearly all different, took ~17 ms.
QUESTIONS_SAMPLE = 1000
# Tools that act for the visitor: a first message answered with one was a command ("I'd like to
# talk to a person", "cancel my booking"), not a question (search_knowledge, list_services).
COMMAND_TOOLS = (
    "find_available_slots",
    "propose_booking",
    "list_my_bookings",
    "propose_cancellation",
    "propose_reschedule",
    "request_human",
)
UNANSWERED_LIMIT = 20
QUESTION_CHARS = 200
# Retention is applied opportunistically: at most once an hour per site and process, when
# staff open the overview (`frontdesk purge` in cron does all sites on a schedule).
PURGE_EVERY_SECONDS = 3600
_PUNCTUATION = re.compile(r"[^\w\s']")
_purge_lock = threading.Lock()


def window(tz: ZoneInfo, now: datetime) -> tuple[list[date], datetime]:
    """The last DAYS local dates (today last) and the UTC moment the first one starts."""
    today = now.astimezone(tz).date()
    days = [today - timedelta(days=DAYS - 1 - i) for i in range(DAYS)]
    start = datetime.combine(days[0], datetime.min.time(), tz).astimezone(UTC)
    return days, start


def _per_day(session, series: str, site_id: int, tz: ZoneInfo, days: list[date]) -> list[int]:
    """Rows per local day, counted by the database (no row is loaded): each row's day is found
    by comparing its moment with the UTC instants the local days start, which stays right across
    a daylight-saving change and is the same SQL on SQLite and PostgreSQL."""
    edges = [local_midnight(d, tz) for d in [*days, days[-1] + timedelta(days=1)]]
    params = {f"edge{n}": edge for n, edge in enumerate(edges)}
    rows = session.execute(_per_day_query(series, len(days)), {"site_id": site_id, **params})
    counts = dict(rows.all())
    return [counts.get(n, 0) for n in range(len(days))]


@lru_cache(maxsize=4)
def _per_day_query(series: str, count: int):
    # Built once per series: the nested CASE is some hundred nodes and only the site and the
    # day edges change (bind parameters site_id and edge0..edge<count>).
    if series == "conversations":
        # Only conversations someone wrote in: a widget opened and left silent is no chat.
        moment = Conversation.created_at
        where = [Conversation.site_id == bindparam("site_id"), has_begun()]
    else:  # only bookings that stand count: one made and then cancelled is not a booking
        moment = Booking.created_at
        where = [Booking.site_id == bindparam("site_id"), Booking.status != CANCELLED]
    edges = [bindparam(f"edge{n}", type_=moment.type) for n in range(count + 1)]
    day = _day_index(moment, edges, 0, count)
    return (
        select(day.label("day"), func.count())
        .where(*where, moment >= edges[0], moment < edges[-1])
        .group_by("day")
    )


def _day_index(moment, edges: list, lo: int, hi: int):
    """The index of the day in [lo, hi) that `moment` falls in, as nested CASEs halving the
    range: five comparisons a row for 30 days where a flat CASE averaged fifteen."""
    if hi - lo == 1:
        return literal(lo)
    mid = (lo + hi) // 2
    return case(
        (moment < edges[mid], _day_index(moment, edges, lo, mid)),
        else_=_day_index(moment, edges, mid, hi),
    )


def normalise_question(text: str) -> str:
    """Lower case, no punctuation, single spaces: "Price?? " and "price" count together."""
    words = _PUNCTUATION.sub(" ", text.lower()).split()
    return " ".join(words)[:QUESTION_CHARS]


def daily_activity(session, site_id: int, tz: ZoneInfo, days: list[date]):
    """Rows of {day, conversations, bookings, conversion} for the window."""
    chats = _per_day(session, "conversations", site_id, tz, days)
    booked = _per_day(session, "bookings", site_id, tz, days)
    return [
        {"day": d, "conversations": c, "bookings": b, "conversion": _rate(b, c)}
        for d, c, b in zip(days, chats, booked, strict=True)
    ]


def cancelled_count(session, site_id: int, since: datetime) -> int:
    """Bookings made in the window and cancelled since (said beside the total, not in it)."""
    query = select(func.count()).where(
        Booking.site_id == site_id, Booking.created_at >= since, Booking.status == CANCELLED
    )
    return session.scalar(query) or 0


def _rate(part: int, whole: int) -> str:
    return f"{100 * part / whole:.0f}%" if whole else "–"


def _first_questions_query():
    """Distinct first visitor messages of the window's latest conversations with their counts,
    leaving out a chip's words and commands (built once: bind parameters site_id and since)."""
    recent = (
        select(Conversation.id)
        .where(
            Conversation.site_id == bindparam("site_id"),
            Conversation.created_at >= bindparam("since"),
            has_begun(),  # silent ones would crowd written ones out of the sample
        )
        .order_by(Conversation.created_at.desc())
        .limit(QUESTIONS_SAMPLE)
    )
    earlier, call, later = aliased(Message), aliased(Message), aliased(Message)
    first_seq = (
        select(func.min(earlier.seq))
        .where(earlier.conversation_id == Message.conversation_id, earlier.role == "visitor")
        .scalar_subquery()
    )
    # Read as a command: answering it, before the visitor wrote again, the engine called a tool
    # that acts (each engine records its tool calls in the transcript).
    acted_on = (
        select(call.id)
        .where(
            call.conversation_id == Message.conversation_id,
            call.role == "tool_call",
            call.seq > Message.seq,
            call.text.in_(COMMAND_TOOLS),
            ~select(later.id)
            .where(
                later.conversation_id == Message.conversation_id,
                later.role == "visitor",
                later.seq > Message.seq,
                later.seq < call.seq,
            )
            .correlate_except(later)  # else `Message` joins in uncorrelated, two levels down
            .exists(),
        )
        .exists()
    )
    from_choice = func.coalesce(Message.payload["via"].as_string(), "") == "choice"
    return (
        select(Message.text, func.count())
        .where(
            Message.conversation_id.in_(recent.scalar_subquery()),
            Message.seq == first_seq,
            ~from_choice,
            ~acted_on,
        )
        .group_by(Message.text)
    )


_FIRST_QUESTIONS = _first_questions_query()


def top_questions(session, site_id: int, since: datetime) -> list[tuple[str, int]]:
    """The most frequent first visitor messages of recent conversations (the latest
    QUESTIONS_SAMPLE of the window), normalised; a chip's words or a command are no question."""
    # Same texts are counted by the database, so each distinct text is normalised once.
    texts = session.execute(_FIRST_QUESTIONS, {"site_id": site_id, "since": since})
    counts: Counter[str] = Counter()
    for text, count in texts:
        if question := normalise_question(text):
            counts[question] += count
    # Ties in a stable order (alphabetical), whatever order the database grouped in.
    return sorted(counts.items(), key=lambda item: (-item[1], item[0]))[:TOP_QUESTIONS]


def unanswered(session, site_id: int) -> list[tuple[UnansweredQuestion, int]]:
    """Open questions the knowledge base could not answer, newest first: the same question
    asked again (as normalise_question reads it) is one line, with how many times."""
    rows = session.scalars(
        select(UnansweredQuestion)
        .where(UnansweredQuestion.site_id == site_id, UnansweredQuestion.resolved.is_(False))
        .order_by(UnansweredQuestion.created_at.desc(), UnansweredQuestion.id.desc())
        .limit(UNANSWERED_LIMIT)
    )
    asked: dict[str, list[UnansweredQuestion]] = {}
    for row in rows:
        asked.setdefault(normalise_question(row.question) or row.question, []).append(row)
    return [(times[0], len(times)) for times in asked.values()]


def token_usage(session, site, days: list[date]) -> dict:
    """Prompt/completion tokens per day and the estimated cost for the site's model."""
    rows = session.execute(  # a day is several rows (chat.usage.USAGE_SHARDS): summed here
        select(
            TokenUsage.day,
            func.sum(TokenUsage.prompt_tokens).label("prompt_tokens"),
            func.sum(TokenUsage.completion_tokens).label("completion_tokens"),
        )
        .where(TokenUsage.site_id == site.id, TokenUsage.day >= days[0])
        .group_by(TokenUsage.day)
        .order_by(TokenUsage.day)
    ).all()
    model = (site.llm_settings or {}).get("model") or current_app.config.get("MODEL") or ""
    prompt = sum(r.prompt_tokens for r in rows)
    completion = sum(r.completion_tokens for r in rows)
    return {
        "model": model,
        "rows": [
            {
                "day": r.day,
                "prompt": r.prompt_tokens,
                "completion": r.completion_tokens,
                "cost": costs.format_cost(
                    costs.estimate(model, r.prompt_tokens, r.completion_tokens)
                ),
            }
            for r in rows
        ],
        "prompt": prompt,
        "completion": completion,
        "cost": costs.format_cost(costs.estimate(model, prompt, completion)),
    }


def maybe_purge(site_id: int) -> None:
    """Apply the site's retention if it has not been applied in this process lately."""
    last_runs: dict[int, float] = current_app.extensions.setdefault("frontdesk.purged_at", {})
    with _purge_lock:
        last = last_runs.get(site_id)
        if last is not None and time.monotonic() - last < PURGE_EVERY_SECONDS:
            return
        last_runs[site_id] = time.monotonic()
    try:
        purge_expired(get_db(), utcnow(), site_id=site_id)
    except Exception:  # a failed clean-up must never hide the dashboard
        current_app.logger.exception("retention purge failed for site %s", site_id)


@bp.get("/")
@site_required
def index(site):
    """The overview page."""
    if site.retention_days:
        maybe_purge(site.id)
    tz = zone_or_utc(site.timezone)
    days, since = window(tz, utcnow())
    with get_db().session() as session:
        activity = daily_activity(session, site.id, tz, days)
        questions = top_questions(session, site.id, since)
        open_questions = unanswered(session, site.id)
        usage = token_usage(session, site, days)
        cancelled = cancelled_count(session, site.id, since)
    labels = [f"{d.day} {d:%b}" for d in days]
    chart = charts.bar_chart(
        "activity",
        f"Conversations and bookings per day, last {DAYS} days",
        f"Daily counts in {zone_label(site.timezone)}; bookings that stand (cancelled ones not "
        "counted); the table below has the same figures.",
        labels,
        [
            charts.Series("conversations", [r["conversations"] for r in activity], "bar--chats"),
            charts.Series("bookings", [r["bookings"] for r in activity], "bar--bookings"),
        ],
    )
    totals = {
        "conversations": sum(r["conversations"] for r in activity),
        "bookings": sum(r["bookings"] for r in activity),
    }
    totals["conversion"] = _rate(totals["bookings"], totals["conversations"])
    totals["cancelled"] = cancelled
    return render_template(
        "staff/overview.html",
        site=site,
        activity=activity,
        chart=chart,
        totals=totals,
        questions=questions,
        questions_sample=QUESTIONS_SAMPLE if totals["conversations"] > QUESTIONS_SAMPLE else 0,
        open_questions=open_questions,
        usage=usage,
        days=DAYS,
        engine=answering_engine(current_app, site),
        zone_name=zone_label(site.timezone),
    )
