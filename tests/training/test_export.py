"""Training data export: placeholders, redaction, corrections, weights, split, validation."""

from __future__ import annotations

import json

from frontdesk.chat.site_cache import load_site_by_id
from frontdesk.training import feedback
from frontdesk.training.export import ExportOptions, build_export, in_validation
from frontdesk.training.validation import validate
from tests.support.training_data import make_training_conversation


def _rate(app, conversation, seq, **fields):
    db = app.extensions["frontdesk.db"]
    site = load_site_by_id(db, conversation.site_id)
    target = feedback.find_target(db, site.id, conversation.public_id, seq)
    return feedback.save(db, app.extensions["frontdesk.bookings"], site, target, staff_id=1,
                         **fields)  # fmt: skip


def test_export_redacts_people_applies_feedback_and_validates(training_app):
    db = training_app.extensions["frontdesk.db"]
    site = load_site_by_id(db, training_app.config["TEST_SITE"].id)
    conversations = [make_training_conversation(db, site.id, n)[0] for n in range(14)]
    _rate(training_app, conversations[0], 4, rating="good")
    _rate(training_app, conversations[1], 4, rating="bad")  # uncorrected: weight 0
    _rate(training_app, conversations[2], 8, rating="bad",
          correction="Happy to book that, Maria: please confirm the card below.",
          calls_text='list_services {}')  # fmt: skip

    export = build_export(db, site, ExportOptions(validation_share=0.2))
    examples = export.train + export.validation
    assert len(examples) == export.conversations == 14
    text = json.dumps(examples, ensure_ascii=False)
    for secret in ("Maria", "maria.lopez@mail.test", "7700 900123", "Lopez"):
        assert secret not in text
    assert "Alex Morgan" in text and "visitor1@example.com" in text and "[phone removed]" in text

    def example_of(n):
        wanted = f"cv_test_{n}"
        part = "validation" if in_validation(wanted, ExportOptions()) else "train"
        index = [
            c.public_id
            for c in conversations
            if in_validation(c.public_id, ExportOptions()) == (part == "validation")
        ]
        return getattr(export, part)[index.index(wanted)]  # fmt: skip

    first = example_of(0)["messages"]
    assert first[0]["role"] == "system" and "Harbour Studio" in first[0]["content"]
    assert first[-1]["role"] == "assistant" and first[-1]["weight"] == 1
    assert example_of(0)["parallel_tool_calls"] is False
    assert {t["function"]["name"] for t in example_of(0)["tools"]} >= {"propose_booking"}
    calls = [m for m in first if m.get("tool_calls")]
    answered = {m["tool_call_id"] for m in first if m["role"] == "tool"}
    assert {c["tool_calls"][0]["id"] for c in calls} == answered

    bad = [m for m in example_of(1)["messages"] if m["role"] == "assistant"]
    assert [m["weight"] for m in bad] == [0, 0, 1, 1]  # the bad turn: its call and answer

    corrected = example_of(2)["messages"]
    assert corrected[-1]["content"].startswith("Happy to book that, Alex")
    tail_calls = [
        m["tool_calls"][0]["function"]["name"] for m in corrected[-3:] if m.get("tool_calls")
    ]
    assert tail_calls == ["list_services"]
    assert "Consultation" in corrected[-2]["content"]  # the correction's call ran read-only

    report = validate(export.train, export.validation, model="gpt-4o-mini-2024-07-18")
    assert report.ok, report.errors
    assert any("50 or more" in w for w in report.warnings)
    assert report.epochs == 100 // len(export.train) and report.billed_tokens > 0
    assert report.cost is not None and report.cost > 0

    rated = build_export(db, site, ExportOptions(rated_only=True))
    assert rated.conversations == 3
    good_only = build_export(db, site, ExportOptions(min_rating="good"))
    assert good_only.conversations == 2 and good_only.skipped == {"a bad answer not corrected": 1}


def test_validation_rejects_small_or_broken_files():
    broken = {"messages": [{"role": "user", "content": "hi"},
                           {"role": "assistant", "tool_calls": [{"id": "x", "type": "function",
                            "function": {"name": "a", "arguments": "{}"}}]}]}  # fmt: skip
    report = validate([broken] * 3, [], model="gpt-4o-mini")
    assert not report.ok
    assert any("at least 10" in e for e in report.errors)
    assert any("not answered" in e for e in report.errors)
    assert any("does not end with an assistant answer" in e for e in report.errors)
    huge = {"messages": [{"role": "user", "content": "x" * 300_000},
                         {"role": "assistant", "content": "ok"}]}  # fmt: skip
    report = validate([huge] * 10, [], model="gpt-3.5-turbo", epochs=2)
    assert any("over the model's 16385" in e for e in report.errors)
    assert report.epochs == 2
