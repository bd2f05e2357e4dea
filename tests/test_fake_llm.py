"""The fake OpenAI-compatible provider, exercised through the real openai client over HTTP."""

from __future__ import annotations

import json

import openai
import pytest

from tests.support.fake_llm import FakeLLM

USER = [{"role": "user", "content": "hi"}]


def _stream(client, **extra):
    return list(client.chat.completions.create(model="m", messages=USER, stream=True, **extra))


def test_streams_scripted_text_in_chunks_then_done(fake_llm):
    fake_llm.script(FakeLLM.text("Hello there, friend", chunks=3))
    chunks = _stream(fake_llm.client())
    pieces = [
        c.choices[0].delta.content for c in chunks if c.choices and c.choices[0].delta.content
    ]
    assert "".join(pieces) == "Hello there, friend"
    assert len(pieces) == 3
    assert chunks[-1].choices[0].finish_reason == "stop"


def test_usage_chunk_only_when_requested(fake_llm):
    fake_llm.script(FakeLLM.text("a", usage=(12, 3)), FakeLLM.text("b", usage=(12, 3)))
    without = _stream(fake_llm.client())
    with_usage = _stream(fake_llm.client(), stream_options={"include_usage": True})
    assert all(c.usage is None for c in without)
    assert with_usage[-1].choices == []
    assert (with_usage[-1].usage.prompt_tokens, with_usage[-1].usage.completion_tokens) == (12, 3)


def test_records_request_bodies_including_extra_body(fake_llm):
    _stream(fake_llm.client(), temperature=0.2, top_p=0.9, max_tokens=50, extra_body={"top_k": 7})
    body = fake_llm.chat_requests[-1]
    assert body["messages"] == USER
    assert (body["temperature"], body["top_p"], body["max_tokens"], body["top_k"]) == (
        0.2,
        0.9,
        50,
        7,
    )
    assert fake_llm.requests[-1].headers["authorization"] == "Bearer sk-fake"


def test_empty_queue_answers_ok_so_nothing_hangs(fake_llm):
    reply = fake_llm.client().chat.completions.create(model="m", messages=USER)
    assert reply.choices[0].message.content == "OK."


def test_scripts_are_used_in_order_and_responder_wins(fake_llm):
    fake_llm.script(FakeLLM.text("first"), FakeLLM.text("second"))
    client = fake_llm.client()
    assert client.chat.completions.create(model="m", messages=USER).choices[0].message.content == (
        "first"
    )
    fake_llm.responder = lambda body: FakeLLM.text("from responder " + body["model"])
    reply = client.chat.completions.create(model="zz", messages=USER)
    assert reply.choices[0].message.content == "from responder zz"
    assert fake_llm.pending == 1


@pytest.mark.parametrize("style", ["fragmented", "whole", "no_index", "no_id", "interleaved"])
def test_non_streaming_assembles_tool_calls_in_every_style(fake_llm, style):
    calls = [("search_knowledge", {"query": "price"}), ("list_services", {})]
    fake_llm.script(FakeLLM.tool_calls(calls, style=style))
    message = fake_llm.client().chat.completions.create(model="m", messages=USER).choices[0]
    assert message.finish_reason == "tool_calls"
    got = [(c.function.name, json.loads(c.function.arguments)) for c in message.message.tool_calls]
    assert got == [("search_knowledge", {"query": "price"}), ("list_services", {})]


def test_tool_call_styles_shape_the_stream(fake_llm):
    fake_llm.script(
        FakeLLM.tool_calls([("a", {"q": "xyz"})], style="no_index", finish_reason="stop"),
        FakeLLM.tool_calls([("a", {"q": "xyz"})], style="whole"),
    )
    client = fake_llm.client()
    parts = [p for c in _stream(client) if c.choices for p in c.choices[0].delta.tool_calls or []]
    assert len(parts) > 2 and all(p.index is None for p in parts)
    finish = [c.choices[0].finish_reason for c in _stream(client) if c.choices]
    assert finish[-1] == "tool_calls"


def test_invalid_arguments_are_sent_verbatim(fake_llm):
    fake_llm.script(FakeLLM.tool_calls([("a", '{"q": "unterminated')]))
    reply = fake_llm.client().chat.completions.create(model="m", messages=USER)
    assert reply.choices[0].message.tool_calls[0].function.arguments == '{"q": "unterminated'


def test_http_error_and_garbage(fake_llm):
    fake_llm.script(FakeLLM.error(503, "overloaded"), FakeLLM.garbage())
    client = fake_llm.client()
    with pytest.raises(openai.InternalServerError, match="overloaded"):
        _stream(client)
    assert _stream(client) == []  # an SSE parser finds no events in an HTML page


def test_delay_longer_than_client_timeout_times_out(fake_llm):
    fake_llm.script(FakeLLM.timeout(3))
    with pytest.raises(openai.APITimeoutError):
        _stream(fake_llm.client(timeout=0.3))


def test_cut_stream_ends_without_finish_reason(fake_llm):
    script = FakeLLM.text("Hello world", chunks=4)
    script.cut_after = 2
    fake_llm.script(script)
    chunks = _stream(fake_llm.client())
    assert len(chunks) == 2
    assert all(c.choices[0].finish_reason is None for c in chunks)


def test_embeddings_are_deterministic_unit_vectors(fake_llm):
    client = fake_llm.client()
    first = client.embeddings.create(model="e", input=["Book a consultation", "pizza"])
    again = client.embeddings.create(
        model="e", input="book a CONSULTATION", encoding_format="float"
    )
    a, b = first.data[0].embedding, first.data[1].embedding
    assert len(a) == 64
    assert a == pytest.approx(again.data[0].embedding, abs=1e-6)
    assert sum(x * x for x in a) == pytest.approx(1.0, abs=1e-5)
    assert a != pytest.approx(b)


def test_moderation_flags_configured_word(fake_llm):
    result = fake_llm.client().moderations.create(input=["fine text", "some FORBIDDEN text"])
    assert [r.flagged for r in result.results] == [False, True]


def test_unknown_route_and_bad_json_are_rejected(fake_llm):
    with pytest.raises(openai.NotFoundError):
        fake_llm.client().models.list()  # GET: not served
    import urllib.error
    import urllib.request

    request = urllib.request.Request(
        fake_llm.base_url + "/chat/completions", data=b"{nope", method="POST"
    )
    with pytest.raises(urllib.error.HTTPError) as info:
        urllib.request.urlopen(request, timeout=5)
    assert info.value.code == 400


def test_unknown_tool_style_is_an_error():
    with pytest.raises(ValueError, match="unknown style"):
        FakeLLM.tool_calls([("a", {})], style="sideways")
