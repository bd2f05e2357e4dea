"""Which engine answers, in words: "auto" resolved the way engine_for resolves it."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from frontdesk.assistant.select import engine_for, engine_in_use

BASE = {"ENGINE": None, "OPENAI_API_KEY": None, "OPENAI_BASE_URL": None, "MODEL": "gpt-4o-mini"}


def _site(**llm):
    return SimpleNamespace(id=1, llm_settings=llm)


@pytest.mark.parametrize(
    ("config", "site", "kind", "reason"),
    [
        ({}, _site(), "offline", "no LLM provider is configured"),
        ({"OPENAI_API_KEY": "sk-x"}, _site(), "llm", "a provider is configured"),
        ({"OPENAI_API_KEY": "sk-x"}, _site(engine="offline"), "offline", "the site's settings"),
        ({"OPENAI_API_KEY": "sk-x", "ENGINE": "offline"}, _site(engine="llm"), "offline",
         "the server sets ENGINE=offline"),
        ({"ENGINE": "llm"}, _site(), "offline", "an LLM was chosen but no LLM provider"),
        ({"OPENAI_BASE_URL": "http://127.0.0.1:11434/v1"}, _site(model="llama3"), "llm",
         "a provider is configured"),
    ],
)  # fmt: skip
def test_the_description_matches_the_engine_chosen(config, site, kind, reason):
    settings = {**BASE, **config}
    used = engine_in_use(site, settings)
    assert used.kind == kind and reason in used.reason
    assert engine_for(site, settings).name == ("llm" if kind == "llm" else "offline")


def test_labels_name_the_model_and_where_it_runs():
    local = engine_in_use(
        _site(model="llama3"), {**BASE, "OPENAI_BASE_URL": "http://127.0.0.1:11434/v1"}
    )
    assert local.label == "the model llama3 at 127.0.0.1:11434" and local.setting == "auto"
    offline = engine_in_use(_site(), BASE)
    assert offline.label == "the offline engine (built in, no LLM)"
