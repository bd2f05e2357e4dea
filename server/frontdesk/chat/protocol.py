"""The wire protocol: every server frame, and (from chat.client_frames) the client's.

/ws/chat's frames are in docs/protocol.md; /ws/staff's in frontdesk.staff.live. Server frames
and site events are built here only, so each has one shape.
"""

from __future__ import annotations

import json
from typing import Any

from frontdesk.assistant.tools.cards import iso_utc
from frontdesk.booking.time_words import uses_12_hour
from frontdesk.chat.starters import starter_choices
from frontdesk.i18n import resolve

# -- server frames: both sockets ------------------------------------------------------------


def error_frame(code: str, message: str, frame_id: str | None = None) -> dict[str, Any]:
    """An `error` frame."""
    frame: dict[str, Any] = {"type": "error", "code": code, "message": message}
    if frame_id is not None:
        frame["id"] = frame_id
    return frame


def ack_frame(frame_id: str, seq: int) -> dict[str, Any]:
    """An `ack`: the client's frame `frame_id` is stored as entry `seq`."""
    return {"type": "ack", "id": frame_id, "seq": seq}


def ping_frame() -> dict[str, Any]:
    """A `ping` (the line was quiet)."""
    return {"type": "ping"}


def pong_frame() -> dict[str, Any]:
    """A `pong` (the answer to the client's ping)."""
    return {"type": "pong"}


# -- server frames: /ws/chat (and the conversation's hub channel) -----------------------------


def welcome_frame(
    *,
    visitor: str,
    conversation: Any,
    messages: list[dict[str, Any]],
    site: Any,
    open_now: bool | None,
    lang: str | None = None,
    starters: bool = False,
) -> dict[str, Any]:
    """The `welcome` after `hello`: tokens, the backlog, the site's greeting and the status
    (and, for a conversation with nothing in it yet, the chips to start from)."""
    return {
        "choices": starter_choices(site, lang) if starters else [],
        # The language the server writes its chips, cards and dates in (fr-CA -> fr, else en).
        "lang": resolve(lang),
        # The widget stamps messages in the clock style the server writes chips and cards in.
        "clock": "12h" if uses_12_hour(lang) else "24h",
        "type": "welcome",
        "visitor": visitor,
        "conversation": conversation.public_id,
        "messages": messages,
        "greeting": site.greeting,
        "open": open_now,
        "site": {"name": site.name},
        "status": conversation.status,
    }


def message_frame(entry: Any) -> dict[str, Any]:
    """The `message` frame of a stored visible Message row."""
    payload = entry.payload or {}
    frame: dict[str, Any] = {
        "type": "message",
        "seq": entry.seq,
        "role": entry.role,
        "text": entry.text,
        "html": entry.html,
        "sources": payload.get("sources", []),
        "choices": payload.get("choices", []),
        "card": payload.get("card"),
        "reply": payload.get("reply"),
        "ts": iso_utc(entry.created_at),
    }
    if entry.role == "visitor":
        frame["id"] = entry.client_id
        frame["text"] = payload.get("said") or entry.text  # a chip's words as the visitor saw it
    elif entry.role == "staff":
        frame["author"] = (payload.get("author") or {}).get("name", "")
    return frame


def typing_frame() -> dict[str, Any]:
    """A `typing` indicator."""
    return {"type": "typing"}


def delta_frame(reply_id: str, text: str) -> dict[str, Any]:
    """A `delta`: a piece of the streamed reply `reply_id`."""
    return {"type": "delta", "reply": reply_id, "text": text}


def discard_frame(reply_id: str) -> dict[str, Any]:
    """A `discard`: the deltas of reply `reply_id` are void (its stream broke)."""
    return {"type": "discard", "reply": reply_id}


def status_frame(status: str) -> dict[str, Any]:
    """A `status` frame: the conversation's status changed."""
    return {"type": "status", "status": status}


# -- site events (the site's hub channel; /ws/staff wraps them in `queue` frames) -------------


def status_event(public_id: str, status: str) -> dict[str, Any]:
    """A conversation's status changed."""
    return {"type": "status", "conversation": public_id, "status": status}


def activity_event(public_id: str, seq: int) -> dict[str, Any]:
    """The visitor wrote in a conversation."""
    return {"type": "activity", "conversation": public_id, "seq": seq}


def booking_event(public_id: str) -> dict[str, Any]:
    """A booking was made, moved or cancelled from the conversation (its inbox row changes)."""
    return {"type": "booking", "conversation": public_id}


def flagged_event(public_id: str, seq: int, reasons: list[str]) -> dict[str, Any]:
    """Moderation flagged the visitor's entry `seq`."""
    return {"type": "flagged", "conversation": public_id, "seq": seq, "reasons": reasons}


# -- server frames: /ws/staff ---------------------------------------------------------------


def ready_frame(queue: list[dict[str, Any]], messages: list[dict[str, Any]]) -> dict[str, Any]:
    """The dashboard's `ready`: the queue now and the watched conversation's missed messages."""
    return {"type": "ready", "queue": queue, "messages": messages}


def queue_frame(event: dict[str, Any], item: dict[str, Any] | None) -> dict[str, Any]:
    """A `queue` frame: a site event with the conversation's current summary."""
    return {"type": "queue", "event": event, "item": item}


def conversation_frame(public_id: str, frame: dict[str, Any]) -> dict[str, Any]:
    """A frame of the watched conversation, as the widget gets it."""
    return {"type": "conversation", "conversation": public_id, "frame": frame}


_encode = json.encoder.c_make_encoder(  # no circular check: frames are plain data
    None, json.JSONEncoder().default, json.encoder.encode_basestring, None, ":", ",", False, False,
    True,
)  # fmt: skip


def encode(frame: dict[str, Any]) -> str:
    """A server frame as compact JSON text (an encoder made once, not one per call)."""
    return "".join(_encode(frame, 0))
