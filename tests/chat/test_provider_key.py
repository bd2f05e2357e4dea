"""The server's OPENAI_API_KEY never goes to a provider address a site chose (issue 13, item 1).

Real visitor turns over the chat socket, answered through our fake provider on 127.0.0.1: the
requests it records show which key was sent where.
"""

from __future__ import annotations

import pytest

from tests.support.fake_llm import FakeLLM

SERVER_KEY = "sk-operator-secret-0123456789"


@pytest.fixture
def site_provider():
    """The provider a site's staff pointed their assistant at (loopback, as an attacker would)."""
    with FakeLLM() as fake:
        yield fake


def host_port(fake: FakeLLM) -> str:
    return fake.base_url.split("/")[2]


def visitor_turn(chat, text: str = "Do you build websites?") -> dict:
    with chat.client() as client:
        client.hello()
        client.say(text)
        return client.expect("message", role="assistant", timeout=30)


def sent_keys(fake: FakeLLM) -> list[str]:
    return [request.headers.get("authorization", "") for request in fake.requests]


def test_a_site_chosen_loopback_address_is_never_contacted(start_chat, site_provider):
    chat = start_chat(
        site={"llm_settings": {"base_url": site_provider.base_url}},
        inject=False, ENGINE=None, OPENAI_API_KEY=SERVER_KEY,
    )  # fmt: skip
    reply = visitor_turn(chat)
    assert reply["text"]  # the offline engine answered instead
    assert site_provider.requests == []


def test_a_site_chosen_address_gets_the_sites_key_or_none_never_the_servers(
    start_chat, site_provider
):
    chat = start_chat(
        site={"llm_settings": {"base_url": site_provider.base_url}},
        inject=False, ENGINE=None, OPENAI_API_KEY=SERVER_KEY,
        OUTBOUND_ALLOWED_HOSTS=host_port(site_provider),  # the operator allows this local one
    )  # fmt: skip
    site_provider.script(site_provider.text("We do."))
    assert visitor_turn(chat)["text"] == "We do."
    assert sent_keys(site_provider) == ["Bearer not-needed"]
    assert not any(SERVER_KEY in repr(r.headers) + repr(r.body) for r in site_provider.requests)


def test_a_site_key_goes_with_the_sites_address(start_chat, site_provider):
    settings = {"base_url": site_provider.base_url + "/", "api_key": "sk-site-b"}
    chat = start_chat(
        site={"llm_settings": settings}, inject=False, ENGINE=None, OPENAI_API_KEY=SERVER_KEY,
        LLM_ALLOW_PRIVATE_URLS=True,
    )  # fmt: skip
    visitor_turn(chat)
    assert sent_keys(site_provider) == ["Bearer sk-site-b"]


def test_the_operators_own_address_gets_the_servers_key(start_chat, site_provider):
    chat = start_chat(
        inject=False, ENGINE=None, OPENAI_API_KEY=SERVER_KEY,
        OPENAI_BASE_URL=site_provider.base_url,
    )  # fmt: skip
    visitor_turn(chat)
    assert sent_keys(site_provider) == [f"Bearer {SERVER_KEY}"]


def test_the_operators_list_limits_the_addresses_sites_choose(start_chat, site_provider):
    chat = start_chat(
        site={"llm_settings": {"base_url": site_provider.base_url, "api_key": "sk-site"}},
        inject=False, ENGINE=None, LLM_ALLOW_PRIVATE_URLS=True,
        LLM_SITE_BASE_URLS="https://api.openai.com/v1, https://llm.example.com/v1",
    )  # fmt: skip
    visitor_turn(chat)
    assert site_provider.requests == []
