"""The provider clients connect to the address the guard checked, never to a second lookup.

`provider.test` does not resolve anywhere: a request that reaches our fake provider through it
was dialled to the pinned address, with the URL's name kept as the Host header.
"""

from __future__ import annotations

import httpx2
import pytest

from frontdesk.assistant.llm import http_stream
from frontdesk.outbound.guard import Target
from frontdesk.outbound.httpx_pinned import pinned_httpx_client


def pinned_target(fake_llm) -> Target:
    port = int(fake_llm.base_url.split(":")[2].split("/")[0])
    url = f"http://provider.test:{port}/v1"
    return Target(url=url, scheme="http", host="provider.test", port=port, address="127.0.0.1")


def test_the_openai_client_dials_the_pinned_address(fake_llm):
    import openai

    target = pinned_target(fake_llm)
    client = openai.OpenAI(
        base_url=target.url, api_key="sk-site", max_retries=0,
        http_client=pinned_httpx_client(target, 5.0),
    )  # fmt: skip
    fake_llm.script(fake_llm.text("Pinned."))
    answer = client.chat.completions.create(model="m", messages=[{"role": "user", "content": "hi"}])
    assert answer.choices[0].message.content == "Pinned."
    assert fake_llm.requests[0].headers["host"] == f"provider.test:{target.port}"


def test_the_pinned_client_refuses_any_other_host(fake_llm):
    client = pinned_httpx_client(pinned_target(fake_llm), 5.0)
    port = pinned_target(fake_llm).port
    with pytest.raises(httpx2.ConnectError, match="not checked by the guard"):
        client.get(f"http://localhost:{port}/v1/models")  # resolvable, but not what was vetted
    assert fake_llm.requests == []


def test_the_fast_streaming_path_dials_the_pinned_address(fake_llm):
    target = pinned_target(fake_llm)
    endpoint = http_stream.Endpoint(
        "http", target.host, target.port, "/v1/chat/completions",
        {"Authorization": "Bearer sk-site", "Content-Type": "application/json"}, target=target,
    )  # fmt: skip
    fake_llm.script(fake_llm.text("Fast and pinned."))
    body = {"model": "m", "stream": True, "messages": [{"role": "user", "content": "hi"}]}
    chunks = list(http_stream.stream_chat(endpoint, body, 5.0))
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert text == "Fast and pinned."
    assert fake_llm.requests[0].headers["host"] == f"provider.test:{target.port}"


def test_make_client_pins_a_site_chosen_address_on_both_paths(fake_llm):
    from frontdesk.assistant.llm.provider import fast_endpoint, llm_settings, make_client
    from frontdesk.db.models import Site

    site = Site(name="B", llm_settings={"base_url": fake_llm.base_url})
    allowed = fake_llm.base_url.split("/")[2]
    settings = llm_settings(
        site, {"OPENAI_API_KEY": "sk-server", "OUTBOUND_ALLOWED_HOSTS": allowed}
    )
    client = make_client(settings)
    assert client.api_key == "not-needed"
    endpoint = fast_endpoint(client)
    assert endpoint is not None and endpoint.target.address == "127.0.0.1"
    assert endpoint.headers["Authorization"] == "Bearer not-needed"
