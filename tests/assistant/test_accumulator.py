"""The streaming tool-call accumulator: every provider quirk, from hand-built and real chunks."""

from __future__ import annotations

import pytest
from openai.types.chat import ChatCompletionChunk

from frontdesk.assistant.llm.accumulator import ToolCallAccumulator
from tests.support.fake_llm import FakeLLM


def chunk(delta: dict | None = None, finish: str | None = None, usage: dict | None = None):
    """A ChatCompletionChunk built the way the openai client builds them (no validation)."""
    choices = [] if delta is None else [{"index": 0, "delta": delta, "finish_reason": finish}]
    return ChatCompletionChunk.construct(
        id="c", object="chat.completion.chunk", created=0, model="m", choices=choices, usage=usage
    )


def call(index=None, id=None, name=None, args=None):
    part: dict = {"function": {}}
    if index is not None:
        part["index"] = index
    if id is not None:
        part["id"] = id
    if name is not None:
        part["function"]["name"] = name
    if args is not None:
        part["function"]["arguments"] = args
    return chunk({"tool_calls": [part]})


def feed(*chunks) -> ToolCallAccumulator:
    acc = ToolCallAccumulator()
    for item in chunks:
        acc.add(item)
    return acc


def summary(acc: ToolCallAccumulator) -> list[tuple]:
    return [(d.id, d.name, d.arguments, d.error) for d in acc.tool_calls()]


# ----- hand-built chunks ----------------------------------------------------------------------
def test_text_only_collects_content_and_returns_each_piece():
    acc = ToolCallAccumulator()
    assert acc.add(chunk({"role": "assistant", "content": "Hel"})) == "Hel"
    assert acc.add(chunk({"content": "lo"})) == "lo"
    assert acc.add(chunk({}, finish="stop")) == ""
    assert (acc.content, acc.finish_reason, acc.has_tool_calls) == ("Hello", "stop", False)


def test_arguments_fragmented_over_many_chunks():
    acc = feed(
        call(0, "call_a", "search_knowledge", ""),
        call(0, args='{"qu'),
        call(0, args='ery": "pri'),
        call(0, args='ce"}'),
        chunk({}, finish="tool_calls"),
    )
    assert summary(acc) == [("call_a", "search_knowledge", {"query": "price"}, None)]


def test_arguments_whole_in_one_chunk_and_parallel_by_index():
    acc = feed(
        call(0, "call_a", "list_services", "{}"),
        call(1, "call_b", "search_knowledge", '{"query": "hours"}'),
    )
    assert summary(acc) == [
        ("call_a", "list_services", {}, None),
        ("call_b", "search_knowledge", {"query": "hours"}, None),
    ]


def test_interleaved_fragments_follow_their_index():
    acc = feed(
        call(0, "a", "one", ""),
        call(1, "b", "two", ""),
        call(1, args='{"y":'),
        call(0, args='{"x":'),
        call(0, args="1}"),
        call(1, args="2}"),
    )
    assert summary(acc) == [("a", "one", {"x": 1}, None), ("b", "two", {"y": 2}, None)]


def test_missing_index_uses_id_continuity():
    acc = feed(
        call(id="call_a", name="one", args=""),
        call(args='{"x": '),
        call(args="1}"),
        call(id="call_b", name="two", args='{"y": 2}'),
    )
    assert summary(acc) == [("call_a", "one", {"x": 1}, None), ("call_b", "two", {"y": 2}, None)]


def test_missing_index_and_id_a_new_name_starts_a_new_call():
    acc = feed(
        call(name="one", args='{"x": 1}'),
        call(name="two", args='{"y"'),
        call(args=": 2}"),
    )
    assert summary(acc) == [("call_1", "one", {"x": 1}, None), ("call_2", "two", {"y": 2}, None)]


def test_repeated_name_in_every_fragment_continues_the_call():
    acc = feed(call(name="one", args='{"x"'), call(name="one", args=": 1}"))
    assert summary(acc) == [("call_1", "one", {"x": 1}, None)]


def test_same_index_with_a_new_id_is_a_new_call():
    # Some gateways number every parallel call 0; the ids tell them apart.
    acc = feed(call(0, "a", "one", "{}"), call(0, "b", "two", "{}"))
    assert [d.id for d in acc.tool_calls()] == ["a", "b"]


def test_missing_id_is_synthesized_without_clashing():
    acc = feed(call(0, None, "one", "{}"), call(1, "call_1", "two", "{}"))
    ids = [d.id for d in acc.tool_calls()]
    assert ids[1] == "call_1" and ids[0] != "call_1" and ids[0].startswith("call_")


def test_finish_reason_stop_with_tool_calls_still_yields_the_calls():
    acc = feed(call(0, "a", "list_services", "{}"), chunk({}, finish="stop"))
    assert acc.finish_reason == "stop"
    assert acc.has_tool_calls and summary(acc) == [("a", "list_services", {}, None)]


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ('{"query": "pri', "not valid JSON"),
        ("{query: price}", "not valid JSON"),
        ('["query"]', "must be a JSON object"),
    ],
)
def test_invalid_arguments_keep_the_raw_string_and_an_error(raw, message):
    draft = feed(call(0, "a", "search_knowledge", raw)).tool_calls()[0]
    assert draft.raw_arguments == raw
    assert draft.arguments is None
    assert message in draft.error


def test_empty_arguments_mean_no_arguments_and_a_missing_name_is_an_error():
    drafts = feed(call(0, "a", "list_services", ""), call(1, "b", None, "{}")).tool_calls()
    assert (drafts[0].arguments, drafts[0].error) == ({}, None)
    assert drafts[1].arguments is None and "no function name" in drafts[1].error


def test_usage_chunk_without_choices_is_recorded():
    acc = feed(chunk({"content": "x"}), chunk(usage={"prompt_tokens": 9, "completion_tokens": 2}))
    assert acc.usage == (9, 2)


def test_other_choice_indexes_are_ignored():
    stray = ChatCompletionChunk.construct(
        id="c",
        object="chat.completion.chunk",
        created=0,
        model="m",
        choices=[{"index": 1, "delta": {"content": "alternative"}, "finish_reason": None}],
    )
    acc = feed(chunk({"content": "main"}), stray)
    assert acc.content == "main"


# ----- real chunks from the fake provider over HTTP --------------------------------------------
def stream(fake_llm: FakeLLM, script) -> ToolCallAccumulator:
    fake_llm.script(script)
    client = fake_llm.client()
    chunks = client.chat.completions.create(
        model="m",
        messages=[{"role": "user", "content": "hi"}],
        stream=True,
        stream_options={"include_usage": True},
    )
    return feed(*chunks)


CALLS = [("search_knowledge", {"query": "opening hours"}), ("list_services", {})]


@pytest.mark.parametrize("style", ["fragmented", "whole", "no_index", "no_id", "interleaved"])
def test_real_stream_parallel_calls_in_every_style(fake_llm, style):
    acc = stream(fake_llm, FakeLLM.tool_calls(CALLS, style=style))
    drafts = acc.tool_calls()
    assert [(d.name, d.arguments, d.error) for d in drafts] == [
        ("search_knowledge", {"query": "opening hours"}, None),
        ("list_services", {}, None),
    ]
    assert len({d.id for d in drafts}) == 2
    assert acc.usage is not None


def test_real_stream_text_then_call_with_stop_finish(fake_llm):
    script = FakeLLM.text("Let me check.") + FakeLLM.tool_calls(
        [("list_services", {})], finish_reason="stop"
    )
    acc = stream(fake_llm, script)
    assert acc.content == "Let me check."
    assert acc.finish_reason == "stop"
    assert [d.name for d in acc.tool_calls()] == ["list_services"]


def test_real_stream_truncated_arguments(fake_llm):
    acc = stream(fake_llm, FakeLLM.tool_calls([("search_knowledge", '{"query": "pri')], pieces=3))
    draft = acc.tool_calls()[0]
    assert draft.raw_arguments == '{"query": "pri'
    assert draft.arguments is None and "not valid JSON" in draft.error


def test_a_refusal_is_kept_as_visible_text():
    acc = feed(chunk({"refusal": "I can't help with that."}), chunk({}, finish="stop"))
    assert acc.content == "I can't help with that."


def test_decoded_json_and_sdk_objects_accumulate_alike():
    """The fast path's chunks (JsonView over decoded JSON) are read as dicts, the openai
    client's as objects: the same stream gives the same drafts, text and usage either way."""
    from frontdesk.assistant.llm.http_stream import JsonView

    parts = [
        {"choices": [{"index": 0, "delta": {"content": "Let me look. "}}]},
        {
            "choices": [
                {
                    "index": 0,
                    "delta": {
                        "tool_calls": [
                            {
                                "index": 0,
                                "id": "call_a",
                                "function": {"name": "find_slots", "arguments": '{"da'},
                            }
                        ]
                    },
                }
            ]
        },  # fmt: skip
        {
            "choices": [
                {
                    "index": 0,
                    "delta": {
                        "tool_calls": [{"index": 0, "function": {"arguments": 'y": "mon"}'}}]
                    },
                    "finish_reason": "tool_calls",
                }
            ]
        },  # fmt: skip
        {"choices": [], "usage": {"prompt_tokens": 12, "completion_tokens": 3, "total_tokens": 15}},
    ]
    from_json = feed(*(JsonView(part) for part in parts))
    from_sdk = feed(*(ChatCompletionChunk.model_validate({
        "id": "c", "object": "chat.completion.chunk", "created": 0, "model": "m", **part
    }) for part in parts))  # fmt: skip
    for acc in (from_json, from_sdk):
        assert summary(acc) == [("call_a", "find_slots", {"day": "mon"}, None)]
        assert (acc.content, acc.finish_reason, acc.usage) == (
            "Let me look. ",
            "tool_calls",
            (12, 3),
        )
