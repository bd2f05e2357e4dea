"""Client frames on both sockets: reading a raw frame as JSON and validating /ws/chat's.

A frame must be a JSON object with nothing a database or a later step cannot take (deep
nesting, lone surrogates, NUL characters); /ws/chat's frames (docs/protocol.md) then get their
fields checked and normalised. Server frames are built in chat.protocol.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from frontdesk.booking.zones import is_zone

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
    if isinstance(raw, bytes):  # decoded by json itself (UTF-16 too, surrogates passed)
        size, clean = len(raw), False
    else:
        try:
            # No \u escape: no string in it can hold a NUL or a lone surrogate (literal ones
            # are refused by the encoding here or by the parser), nearly every frame.
            size, clean = len(raw.encode("utf-8")), "\\u" not in raw
        except UnicodeEncodeError:  # a lone surrogate in the text itself
            size, clean = len(raw.encode("utf-8", "surrogatepass")), False
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
    # Checked value by value unless neither can be wrong: no escape, and too few brackets in
    # all of the text (strings included) to nest deeper than MAX_DEPTH.
    if clean and raw.count("{") + raw.count("[") <= MAX_DEPTH:
        return data
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
