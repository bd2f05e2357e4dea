"""The dashboard's Training section: its blueprint, and what the transcript view asks of it."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from flask import Blueprint, abort
from sqlalchemy import select

from frontdesk.booking.zones import zone_or_utc
from frontdesk.db.models import Message, MessageFeedback
from frontdesk.extensions import get_db
from frontdesk.training.feedback import calls_as_text

bp = Blueprint("training", __name__, url_prefix="/staff/<site_key>/training")


@bp.app_template_filter("fromtimestamp")
def from_timestamp(value: Any, site: Any = None, fmt: str = "%a %-d %b %Y, %H:%M:%S") -> str:
    """A provider's Unix timestamp on the site's wall clock, as the dashboard writes moments
    ("Tue 8 Dec 2026, 14:05:09"); UTC when no site is given."""
    try:
        moment = datetime.fromtimestamp(int(value), UTC)
    except (TypeError, ValueError, OverflowError):
        return ""
    zone = zone_or_utc(getattr(site, "timezone", None) or "UTC")
    return moment.astimezone(zone).strftime(fmt)


@bp.app_template_global()
def message_feedback(conversation_id: int) -> dict[int, dict[str, Any]]:
    """Staff feedback on a conversation's assistant messages, by seq (for the transcript)."""
    with get_db().session() as session:
        rows = session.execute(
            select(Message.seq, MessageFeedback)
            .join(MessageFeedback, MessageFeedback.message_id == Message.id)
            .where(MessageFeedback.conversation_id == conversation_id)
        ).all()
    return {
        seq: {"rating": row.rating, "correction": row.correction,
              "calls": calls_as_text(row.correction_calls), "results": row.correction_calls,
              "updated_at": row.updated_at}
        for seq, row in rows
    }  # fmt: skip


def site_row(model: Any, row_id: int, site: Any) -> Any:
    """One row of `model` by id, only when it belongs to this site (404 otherwise)."""
    with get_db().session() as session:
        row = session.get(model, row_id)
    if row is None or row.site_id != site.id:
        abort(404)
    return row
