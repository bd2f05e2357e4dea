"""Moderation: local rules, PII redaction in stored transcripts, provider mode."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from frontdesk.chat import moderation
from frontdesk.chat.hub import hub_for
from tests.support.hub_events import next_events


def site(**settings):
    return SimpleNamespace(moderation=settings)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("write to ada@example.com please", "write to [email removed] please"),
        ("card 4111 1111 1111 1111 thanks", "card [card number removed] thanks"),
        ("call me on +61 2 9876 5432", "call me on [phone removed]"),
        ("mobile 0412 345 678", "mobile [phone removed]"),
        ("book 2026-12-01 at 10:30 for 2 people", "book 2026-12-01 at 10:30 for 2 people"),
        ("on 1/12/2026 please", "on 1/12/2026 please"),
        ("it costs 1500 dollars", "it costs 1500 dollars"),
    ],
)
def test_redact_pii(text, expected):
    assert moderation.redact_pii(text) == expected


def test_blocked_terms_match_whole_words_in_any_case():
    rules = site(mode="local", blocked_terms=["Scam", "bad word"])
    assert moderation.check(rules, "is this a SCAM?").flagged
    assert moderation.check(rules, "what a bad   word").flagged
    assert not moderation.check(rules, "scampi for lunch").flagged
    assert not moderation.check(site(mode="off", blocked_terms=["scam"]), "scam").flagged


def test_bad_settings_fall_back_to_off():
    assert moderation.settings(site(mode="weird", blocked_terms=None)) == {
        "mode": "off", "blocked_terms": [], "redact_pii": False,
    }  # fmt: skip


def test_provider_errors_fall_back_to_local_rules():
    class Broken:
        class moderations:  # noqa: N801 - mimics the openai client's attribute
            @staticmethod
            def create(**_kwargs):
                raise ConnectionError("provider down")

    rules = site(mode="provider", blocked_terms=["scam"])
    verdict = moderation.check(rules, "nice day", Broken())
    assert (verdict.flagged, verdict.source) == (False, "local")


def test_flagged_message_is_refused_flagged_and_reported(start_chat):
    chat = start_chat(site={"moderation": {"mode": "local", "blocked_terms": ["scam"]}})
    events = hub_for(chat.app).subscribe_site(chat.site.id)
    with chat.client() as client:
        conversation = client.hello()["conversation"]
        ack = client.say("this is a scam", "bad")
        refusal = client.expect("message", role="assistant")
    assert "can't help with that" in refusal["text"]
    assert chat.llm.chat_requests == []  # the model never saw it
    chat.idle()
    visitor = chat.entries(conversation, ("visitor",))[0]
    assert (visitor.seq, visitor.flagged) == (ack["seq"], True)
    assert chat.conversation(conversation).flagged is True
    # Two threads publish these (the socket: activity; the turn: flagged): either may be first.
    seen = next_events(events, "activity", "flagged")
    assert (seen["activity"]["conversation"], seen["activity"]["seq"]) == (conversation, 1)
    assert (seen["flagged"]["conversation"], seen["flagged"]["seq"]) == (conversation, 1)
    events.close()


def test_pii_is_redacted_in_the_stored_transcript(start_chat):
    chat = start_chat(site={"moderation": {"mode": "local", "redact_pii": True}})
    chat.llm.script(chat.llm.text("Thanks!"))
    with chat.client() as client:
        conversation = client.hello()["conversation"]
        client.say("I'm ada@example.com")
        echo = client.expect("message", role="visitor")
        client.expect("message", role="assistant")
    assert echo["text"] == "I'm [email removed]"
    assert chat.entries(conversation, ("visitor",))[0].text == "I'm [email removed]"
    # The current turn still sees what the visitor wrote (so a booking can use the address).
    assert "ada@example.com" in str(chat.llm.chat_requests[0]["messages"])


def test_provider_mode_uses_the_moderation_endpoint(start_chat):
    chat = start_chat(site={"moderation": {"mode": "provider"}})
    with chat.client() as client:
        conversation = client.hello()["conversation"]
        client.say("something forbidden here")
        refusal = client.expect("message", role="assistant")
    assert "can't help with that" in refusal["text"]
    assert any(r.path.endswith("/moderations") for r in chat.llm.requests)
    assert chat.conversation(conversation).flagged is True


def test_an_open_socket_follows_a_redaction_setting_turned_on_later(chat):
    from frontdesk.audit import Actor
    from frontdesk.staff import settings_store

    chat.llm.script(chat.llm.text("Noted."), chat.llm.text("Thanks!"))
    with chat.client() as client:
        conversation = client.hello()["conversation"]
        settings_store.update_json_field(
            chat.db, chat.site.id, Actor("staff", "owner@studio.test"), "settings.moderation",
            "moderation", {"mode": "local", "redact_pii": True},
        )  # fmt: skip
        client.say("hello")  # its turn is the first to see the new settings
        client.expect("message", role="assistant")
        client.say("I'm ada@example.com")
        client.expect("message", role="assistant")
    texts = [entry.text for entry in chat.entries(conversation, ("visitor",))]
    assert texts == ["hello", "I'm [email removed]"]
