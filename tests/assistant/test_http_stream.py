"""Streamed chat completions over http.client (the fast path) and when the openai client is used.

Real sockets against the fake provider; the clients are real `openai.OpenAI` objects.
"""

from __future__ import annotations

import json
import socket
import time
from contextlib import closing
from dataclasses import replace

import openai
import pytest

from frontdesk.assistant.llm.http_stream import ProviderHTTPError, StreamErrorEvent
from frontdesk.assistant.llm.provider import fast_endpoint, open_chat_stream
from tests.support.fake_llm import FakeLLM, Script

USER = [{"role": "user", "content": "hi"}]
PROXY_VARIABLES = ("http_proxy", "https_proxy", "all_proxy", "no_proxy")


@pytest.fixture(autouse=True)
def no_proxy(monkeypatch):
    """No proxy in the environment, whatever the machine running the tests has (autouse: the
    fake provider's clients are built after it)."""
    for name in PROXY_VARIABLES:
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(name.upper(), raising=False)
    return monkeypatch


def stream(client, **request) -> list:
    """One streamed completion through open_chat_stream, read to its end."""
    chunks = open_chat_stream(
        client, {"model": "m", "messages": USER, "stream": True, "timeout": 5.0, **request}
    )
    try:
        return list(chunks)
    finally:
        chunks.close()


def text_of(chunks) -> str:
    return "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)


# ----- which path ------------------------------------------------------------------------------
def test_a_plain_client_takes_the_fast_path_and_others_the_openai_client(fake_llm, no_proxy):
    endpoint = fast_endpoint(fake_llm.client())
    assert endpoint is not None
    assert (endpoint.scheme, endpoint.host, endpoint.path) == (
        "http",
        "127.0.0.1",
        "/v1/chat/completions",
    )
    azure = openai.AzureOpenAI(
        api_key="k", azure_endpoint=fake_llm.base_url, api_version="2024-10-21"
    )
    custom_http = fake_llm.client(http_client=openai.DefaultHttpxClient())
    key_function = openai.OpenAI(base_url=fake_llm.base_url, api_key=lambda: "sk-rotating")
    assert fast_endpoint(azure) is None
    assert fast_endpoint(custom_http) is None
    assert fast_endpoint(key_function) is None
    assert fast_endpoint(object()) is None

    no_proxy.setenv("HTTP_PROXY", "http://127.0.0.1:9")  # a proxy for http:// URLs
    assert fast_endpoint(fake_llm.client()) is None
    no_proxy.setenv("NO_PROXY", "127.0.0.1")  # ... that this host bypasses
    assert fast_endpoint(fake_llm.client()) is not None
    no_proxy.delenv("NO_PROXY")
    no_proxy.delenv("HTTP_PROXY")
    no_proxy.setenv("HTTPS_PROXY", "http://127.0.0.1:9")  # for https:// only: not ours
    assert fast_endpoint(fake_llm.client()) is not None


def test_the_fallback_streams_through_the_openai_client(fake_llm):
    fake_llm.script(FakeLLM.text("Via create."))
    chunks = stream(fake_llm.client(http_client=openai.DefaultHttpxClient()))
    assert text_of(chunks) == "Via create."
    assert "x-stainless-retry-count" in fake_llm.requests[0].headers  # openai's own request


def test_the_fast_path_sends_what_the_openai_client_sends(fake_llm):
    client = fake_llm.client(
        organization="org-1", default_headers={"X-Tenant": "t9"}, default_query={"v": "2"}
    )
    fake_llm.script(FakeLLM.text("Fast."), FakeLLM.text("Create."))
    assert text_of(stream(client, extra_body={"top_k": 3}, temperature=0.5)) == "Fast."
    create = client.chat.completions.create(
        model="m", messages=USER, stream=True, timeout=5.0, extra_body={"top_k": 3}, temperature=0.5
    )
    assert text_of(list(create)) == "Create."
    fast, slow = fake_llm.requests
    assert fast.path == slow.path == "/v1/chat/completions?v=2"
    assert fast.body == slow.body
    per_request = {"content-length", "accept-encoding", "x-stainless-retry-count",
                   "x-stainless-read-timeout", "connection"}  # fmt: skip
    same = {name: value for name, value in slow.headers.items() if name not in per_request}
    assert {name: fast.headers.get(name) for name in same} == same
    assert same["authorization"] == "Bearer sk-fake" and same["openai-organization"] == "org-1"
    assert same["x-tenant"] == "t9"


# ----- the stream ------------------------------------------------------------------------------
def test_server_sent_events_are_parsed_as_the_spec_says(fake_llm):
    first = json.dumps({"choices": [{"index": 0, "delta": {"content": "Hel"}}]}).encode()
    second = {"choices": [{"index": 0, "delta": {"content": "lo"}, "finish_reason": "stop"}]}
    head, tail = json.dumps(second).encode().split(b'"choices"')
    fake_llm.script(
        Script(
            raw_sse=(
                b": a comment, then fields that are not data\r\nevent: message\r\nid: 1\r\n",
                b"retry: 1000\r\ndata:" + first + b"\r",  # no space after the colon; \r | \n
                b"\n\r\n",
                b"data:\r\n\r\n",  # an event with empty data is no event
                b"data: " + head + b"\ndata: " + b'"choices"' + tail + b"\n\n",  # two data lines
                b"data: [DONE]\n\n",
            )
        )
    )
    chunks = stream(fake_llm.client())
    assert text_of(chunks) == "Hello"
    assert chunks[-1].choices[0].finish_reason == "stop"
    assert chunks[-1].missing is None


def test_data_that_is_not_json_raises(fake_llm):
    fake_llm.script(Script(raw_sse=(b"data: <html>oops</html>\n\n",)))
    with pytest.raises(ValueError):
        stream(fake_llm.client())


def test_a_body_that_ends_before_done_just_ends(fake_llm):
    cut = FakeLLM.text("Hello world", chunks=4)
    cut.cut_after = 2
    fake_llm.script(cut)
    chunks = stream(fake_llm.client())
    assert text_of(chunks) == "Hel"
    assert [c.choices[0].finish_reason for c in chunks] == [None, None]


def test_an_error_event_raises_with_the_providers_message(fake_llm):
    fake_llm.script(replace(FakeLLM.text("Partial"), error_event="model overloaded"))
    with pytest.raises(StreamErrorEvent, match="model overloaded") as info:
        stream(fake_llm.client())
    assert not hasattr(info.value, "status_code")  # retryable, like a dropped connection


def test_http_errors_carry_the_status_and_the_providers_message_and_drop_the_connection(fake_llm):
    refusal = "Unsupported parameter: 'max_tokens' is not supported with this model."
    fake_llm.script(FakeLLM.error(400, refusal), FakeLLM.text("Fine."))
    client = fake_llm.client()
    with pytest.raises(ProviderHTTPError) as info:
        stream(client)
    assert (info.value.status_code, str(info.value)) == (400, refusal)
    assert text_of(stream(client)) == "Fine."
    assert fake_llm.connections == 2  # never reuse a connection after an error


def test_timeouts_and_refused_connections_have_no_status(fake_llm):
    fake_llm.script(FakeLLM.timeout(3))
    with pytest.raises(TimeoutError) as info:
        stream(fake_llm.client(), timeout=0.3)
    assert not hasattr(info.value, "status_code")
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    refused = openai.OpenAI(base_url=f"http://127.0.0.1:{port}/v1", api_key="k")
    with pytest.raises(ConnectionRefusedError):
        stream(refused)


# ----- connections -----------------------------------------------------------------------------
def test_a_connection_is_reused_only_after_its_body_was_read_to_the_end(fake_llm):
    client = fake_llm.client()
    fake_llm.script(*(FakeLLM.text(f"Answer {n}.") for n in range(3)))
    stream(client)
    stream(client)
    assert fake_llm.connections == 1
    chunks = open_chat_stream(
        client, {"model": "m", "messages": USER, "stream": True, "timeout": 5.0}
    )
    next(chunks)
    chunks.close()  # stopped early: the rest of the body is unread, the connection unusable
    assert text_of(stream(client)) == "OK."
    assert fake_llm.connections == 2


def test_a_pooled_connection_the_server_closed_while_idle_is_replaced(no_proxy):
    with FakeLLM(idle_timeout=0.4) as fake_llm:
        client = fake_llm.client()
        fake_llm.script(FakeLLM.text("One."), FakeLLM.text("Two."), FakeLLM.text("Three."))
        assert text_of(stream(client)) == "One."
        assert text_of(stream(client)) == "Two."
        assert fake_llm.connections == 1
        time.sleep(1.0)  # the server closes the idle connection; the pool still holds it
        assert text_of(stream(client)) == "Three."  # no error: a fresh connection, once
        assert fake_llm.connections == 2
        assert len(fake_llm.chat_requests) == 3  # the request went out once


# ----- when the provider keeps the visitor waiting ----------------------------------------------
def _tls_server(tmp_path, answer_after: float):
    """A TLS 1.3 server on a free port that answers one request after `answer_after` seconds;
    returns (port, client context trusting its self-signed certificate)."""
    import shutil
    import ssl
    import subprocess
    import threading

    if shutil.which("openssl") is None:
        pytest.skip("the openssl command is needed to make a test certificate")
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", str(key),
         "-out", str(cert), "-days", "1", "-subj", "/CN=127.0.0.1",
         "-addext", "subjectAltName=IP:127.0.0.1"],
        check=True, capture_output=True,
    )  # fmt: skip
    server_context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server_context.load_cert_chain(cert, key)
    listener = socket.create_server(("127.0.0.1", 0))

    def serve() -> None:
        raw, _ = listener.accept()
        with server_context.wrap_socket(raw, server_side=True) as conn:
            conn.recv(65536)
            time.sleep(answer_after)
            conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
            time.sleep(0.5)
        listener.close()

    threading.Thread(target=serve, daemon=True).start()
    return listener.getsockname()[1], ssl.create_default_context(cafile=str(cert))


def test_a_tls_socket_readable_before_the_answer_is_not_taken_for_the_answer(tmp_path):
    """TLS 1.3 session tickets arrive before the answer: over TLS the typing indicator must
    not be skipped for them (it would be missing exactly when the provider is slow), and a
    quick answer over TLS needs none."""
    import http.client
    import select

    from frontdesk.assistant.llm.http_wire import Response, receive_within

    for answer_after, quick in ((0.5, False), (0.0, True)):
        port, context = _tls_server(tmp_path, answer_after=answer_after)
        conn = http.client.HTTPSConnection("127.0.0.1", port, context=context, timeout=5)
        conn.request("POST", "/", b"{}")
        if not quick:
            assert select.select([conn.sock], [], [], 0.2)[0]  # readable, nothing answered
        first = receive_within(conn.sock, 0.3, 5.0)
        assert (first is not None) is quick
        assert Response(conn.sock, first).read(100) == b"ok"
        conn.close()


def test_typing_waits_for_a_slow_answer_and_is_skipped_for_a_quick_one(fake_llm):
    called = []
    fake_llm.script(replace(FakeLLM.text("late"), delay=0.4), FakeLLM.text("at once"))
    for _ in range(2):
        chunks = open_chat_stream(
            fake_llm.client(),
            {"model": "m", "messages": USER, "stream": True, "timeout": 5.0},
            waiting=lambda: called.append(time.monotonic()),
            grace=0.2,
        )
        with closing(chunks):
            list(chunks)
    assert len(called) == 1  # the slow answer only
