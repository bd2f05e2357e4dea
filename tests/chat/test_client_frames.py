"""Reading raw client frames (chat/client_frames.py): what a frame may hold, whichever way it is
checked (the common frame with no escape and few brackets skips the value-by-value walk)."""

from __future__ import annotations

import json

import pytest

from frontdesk.chat.client_frames import MAX_DEPTH, FrameError, parse_frame, read_object


def nested(depth: int) -> str:
    """A frame whose `x` holds arrays `depth` containers deep (the frame itself is one)."""
    return '{"type":"ping","x":' + "[" * (depth - 1) + "1" + "]" * (depth - 1) + "}"


def test_a_plain_message_frame_is_read():
    raw = json.dumps({"type": "message", "id": "m1", "text": "  What do you offer?  "})
    frame = parse_frame(raw, max_bytes=16000, max_chars=4000)
    assert (frame.type, frame.fields) == ("message", {"id": "m1", "text": "What do you offer?"})


def test_nesting_is_allowed_up_to_the_limit_and_refused_past_it():
    assert read_object(nested(MAX_DEPTH), max_bytes=16000)["type"] == "ping"
    with pytest.raises(FrameError, match="nested too deeply"):
        read_object(nested(MAX_DEPTH + 1), max_bytes=16000)


@pytest.mark.parametrize(
    "raw",
    [
        '{"type":"message","id":"a","text":"x\ud800"}',  # a lone surrogate in the text itself
        '{"type":"message","id":"a","text":"x\\ud800"}',  # the same as an escape
        '{"type":"message","id":"a","text":"x\\u0000"}',  # NUL, escaped
        '{"type":"message","id":"a","x\\u0000":"y"}',  # NUL in a key
        b'{"type":"message","id":"a","text":"x\\ud800"}',  # bytes, escaped
        # bytes in UTF-16 (json reads those too) holding a lone surrogate, unescaped
        '{"type":"ping","x":"\ud800"}'.encode("utf-16-le", "surrogatepass"),
    ],
)
def test_lone_surrogates_and_nul_are_refused_however_they_come(raw):
    with pytest.raises(FrameError) as refused:
        read_object(raw, max_bytes=16000)
    assert refused.value.code == "bad_frame"


def test_escapes_of_ordinary_characters_are_read():
    assert read_object('{"type":"ping","x":"\\u00e9"}', max_bytes=16000)["x"] == "é"


def test_the_size_limit_counts_utf8_bytes():
    raw = json.dumps({"type": "ping", "x": "é" * 100}, ensure_ascii=False)
    with pytest.raises(FrameError, match="larger than"):
        read_object(raw, max_bytes=150)
