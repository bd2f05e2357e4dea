"""The wire protocol: validating client frames and building every server frame.

/ws/chat's frames are in docs/protocol.md; /ws/staff's in frontdesk.staff.live. Server frames
and site events are built here only, so each has one shape.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from frontdesk.assistant.tools.cards import iso_utc
from frontdesk.booking.time_words import uses_12_hour
from frontdesk.booking.zones import is_zone
from frontdesk.chat.starters import starter_choices
from frontdesk.i18n import resolve

CLIENT_TYPES = ("hello", "message", "action", "ping", "pong")
ACTIONS = ("reply", "confirm", "change", "human")
MAX_ID_CHARS = 64
MAX_VALUE_CHARS = 200
MAX_DEPTH = 16  # nesting of arrays and objects in a client frame (ours use 2)
MAX_SEQ = 2**31 - 1  # no conversation gets near it; larger `after`s overflow SQL integers


class FrameError(Exception):
    """A client frame the server refuses; becomes an `error` frame, the socket stays open."""

    def __init__(self, code: str, message: str, frame_id: str | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.frame_id = frame_id


@dataclass(slots=True)  # not frozen: one per frame received, frozen costs more to build
class ClientFrame:
    """A validated client frame: its type and its normalised fields."""

    type: str
    fields: dict[str, Any] = field(default_factory=dict)


def read_object(raw: str | bytes, *, max_bytes: int) -> dict[str, Any]:
    """A raw frame as a JSON object (both sockets); raises FrameError (bad_frame) otherwise."""
    size = len(raw) if isinstance(raw, bytes) else len(raw.encode("utf-8", "surrogatepass"))
    if size > max_bytes:
        raise FrameError("bad_frame", f"frame larger than {max_bytes} bytes")
    try:
        data = json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        raise FrameError("bad_frame", "frame is not valid JSON") from None
    except RecursionError:  # thousands of nested brackets: the parser gave up
        raise FrameError("bad_frame", "frame is nested too deeply") from None
    if not isinstance(data, dict):
        raise FrameError("bad_frame", "frame must be a JSON object")
    try:
        _check_values(data, 0)
    except FrameError as exc:  # tie the error to the frame when its id is usable
        frame_id = data.get("id")
        usable = (
            isinstance(frame_id, str) and len(frame_id) <= MAX_ID_CHARS and frame_id.isprintable()
        )
        raise FrameError(exc.code, exc.message, frame_id if usable else None) from None
    return data


def _check_values(value: Any, depth: int) -> None:
    """Refuse what no database or later step can take: deep nesting, lone surrogates (\\ud800
    escapes are valid JSON but not Unicode text) and NUL characters."""
    if depth > MAX_DEPTH:
        raise FrameError("bad_frame", "frame is nested too deeply")
    if isinstance(value, str):
        _check_text(value)
    elif isinstance(value, dict):
        for key, item in value.items():
            _check_text(key)
            _check_values(item, depth + 1)
    elif isinstance(value, list):
        for item in value:
            _check_values(item, depth + 1)


def _check_text(text: str) -> None:
    if "\x00" in text:
        raise FrameError("bad_frame", "text must not contain NUL characters")
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        raise FrameError("bad_frame", "text must be valid Unicode (a lone surrogate)") from None


def parse_frame(raw: str | bytes, *, max_bytes: int, max_chars: int) -> ClientFrame:
    """Validate one raw frame; raises FrameError (bad_frame / too_long) for anything wrong."""
    data = read_object(raw, max_bytes=max_bytes)
    kind = data.get("type")
    if kind not in CLIENT_TYPES:
        raise FrameError("bad_frame", "unknown frame type")
    parser = _PARSERS.get(kind)
    return ClientFrame(kind, parser(data, max_chars) if parser else {})


def _string(data: dict[str, Any], key: str, *, required: bool, limit: int) -> str | None:
    value = data.get(key)
    if value is None and not required:
        return None
    if not isinstance(value, str):
        raise FrameError("bad_frame", f"`{key}` must be a string")
    return value[:limit]


def _frame_id(data: dict[str, Any]) -> str:
    value = data.get("id")
    if not isinstance(value, str) or not 0 < len(value) <= MAX_ID_CHARS:
        raise FrameError("bad_frame", f"`id` must be a string of 1-{MAX_ID_CHARS} characters")
    return value


def _hello(data: dict[str, Any], _max_chars: int) -> dict[str, Any]:
    after = 0 if data.get("after") is None else data["after"]
    if isinstance(after, bool) or not isinstance(after, int) or not 0 <= after <= MAX_SEQ:
        raise FrameError("bad_frame", f"`after` must be an integer from 0 to {MAX_SEQ}")
    page = data.get("page") or {}
    if not isinstance(page, dict):
        raise FrameError("bad_frame", "`page` must be an object")
    return {
        "visitor": _string(data, "visitor", required=False, limit=300),
        "conversation": _string(data, "conversation", required=False, limit=32),
        "after": after,
        "page": {
            "url": _string(page, "url", required=False, limit=2000) or "",
            "title": _string(page, "title", required=False, limit=500) or "",
        },
        "tz": _time_zone(_string(data, "tz", required=False, limit=64)),
        "lang": (_string(data, "lang", required=False, limit=16) or "en").strip() or "en",
    }


def _time_zone(name: str | None) -> str:
    """A valid IANA zone name; anything else falls back to UTC (the widget guessed wrong)."""
    return name if name and is_zone(name) else "UTC"


def _message(data: dict[str, Any], max_chars: int) -> dict[str, Any]:
    frame_id = _frame_id(data)
    text = data.get("text")
    if not isinstance(text, str) or not text.strip():
        raise FrameError("bad_frame", "`text` must be a non-empty string", frame_id)
    if len(text) > max_chars:
        raise FrameError("too_long", f"messages are limited to {max_chars} characters", frame_id)
    return {"id": frame_id, "text": text.strip()}


def _action(data: dict[str, Any], max_chars: int) -> dict[str, Any]:
    frame_id = _frame_id(data)
    name = data.get("name")
    if name not in ACTIONS:
        raise FrameError("bad_frame", "unknown action", frame_id)
    value = "" if data.get("value") is None else data["value"]
    if not isinstance(value, str):
        raise FrameError("bad_frame", "`value` must be a string", frame_id)
    if name == "reply" and not value.strip():
        raise FrameError("bad_frame", "a reply needs a `value`", frame_id)
    if len(value) > max(max_chars, MAX_VALUE_CHARS):
        raise FrameError("too_long", "action value too long", frame_id)
    if name in ("confirm", "change") and not value:
        raise FrameError("bad_frame", "`value` must be a proposal id", frame_id)
    return {"id": frame_id, "name": name, "value": value.strip()}


_PARSERS = {"hello": _hello, "message": _message, "action": _action}


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
