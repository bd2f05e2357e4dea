"""The answer-quality data is well formed and fair: known classes, unique ids, facts the pages state."""

from __future__ import annotations

import re
from collections import Counter
from zoneinfo import ZoneInfo

import pytest

from frontdesk.knowledge.extract import extract_file
from tests.support.answers_dataset import (
    ACTIONS,
    CLASSES,
    OFFERS,
    SETUPS,
    SPLITS,
    Business,
    business_keys,
    headings,
    load_business,
    load_questions,
    normalise,
    source_text,
    time_spellings,
)

KEYS = business_keys(unseen=True)
INVENTED = [k for k in KEYS if k != "demo"]
FACT_CLASSES = {"price", "location", "hours", "policy", "service_info", "paraphrase"}
ACTION_CLASSES = {"command"}


def _all(key: str):
    return load_questions(key, SPLITS)


def _ingested_text(business: Business) -> str:
    """What ingestion keeps of the pages (rendered Markdown), plus profile, services and hours."""
    parts = [business.profile]
    for page in business.pages:
        extracted = extract_file(page)
        parts.append(extracted.title)
        parts += [f"{chunk.heading}\n{chunk.text}" for chunk in extracted.chunks]
    for s in business.services:
        parts.append(f"{s.name}. {s.duration_min} minutes. {s.price_text}. {s.description}")
    for h in business.hours:
        parts += [phrase for t in (h.start, h.end) for phrase in time_spellings(t)]
    return normalise("\n".join(parts))


def test_there_are_the_demo_three_invented_kinds_and_an_unseen_one():
    assert "demo" in KEYS
    assert len([k for k in INVENTED if not k.startswith("unseen_")]) >= 3
    assert any(k.startswith("unseen_") for k in KEYS)


@pytest.mark.parametrize("key", KEYS)
def test_business_profile_services_and_hours(key):
    business = load_business(key)
    ZoneInfo(business.timezone)  # raises for an unknown zone
    assert business.name and business.profile
    assert 3 <= len(business.services) <= 5
    assert len({s.slug for s in business.services}) == len(business.services)
    for s in business.services:
        assert s.name and s.price_text and s.description and s.duration_min > 0
    assert business.hours
    for h in business.hours:
        assert 0 <= h.weekday <= 6 and h.start < h.end


@pytest.mark.parametrize("key", INVENTED)
def test_pages_have_front_matter_and_a_realistic_length(key):
    business = load_business(key)
    assert 5 <= len(business.pages) <= 8
    domains = set()
    for page in business.pages:
        text = page.read_text(encoding="utf-8")
        match = re.match(r"---\ntitle: (.+)\nurl: (https://([a-z0-9-]+\.example)/\S*)\n---\n", text)
        assert match, f"{page.name}: front matter must be title and url, as in the demo"
        domains.add(match.group(3))
        words = len(text[match.end() :].split())
        assert 150 <= words <= 600, f"{page.name} has {words} words"
        extracted = extract_file(page)
        assert extracted.title == match.group(1) and extracted.url == match.group(2)
        assert len(extracted.chunks) >= 2
    assert len(domains) == 1, "one business, one website"


def test_question_ids_are_unique_and_prefixed_by_their_business():
    ids = [q.id for key in KEYS for q in _all(key)]
    assert len(ids) == len(set(ids)), [i for i, n in Counter(ids).items() if n > 1]
    for key in KEYS:
        assert all(q.id.startswith(f"{key}-") for q in _all(key))


@pytest.mark.parametrize("key", KEYS)
def test_every_question_is_well_formed(key):
    questions = _all(key)
    assert 55 <= len(questions) <= 75
    assert {q.kind for q in questions} == set(CLASSES), "every class is asked about"
    for q in questions:
        assert q.kind in CLASSES, q.id
        assert q.text.strip() and all(h.strip() for h in q.history), q.id
        assert bool(q.facts) != bool(q.action), f"{q.id}: facts or an action, not both"
        assert q.action is None or q.action in ACTIONS, q.id
        assert q.offer is None or q.offer in OFFERS, q.id
        assert q.setup is None or q.setup in SETUPS, q.id
        assert all(group and all(alt.strip() for alt in group) for group in q.facts), q.id
        if q.kind in FACT_CLASSES | {"question_not_command"}:
            assert q.facts, f"{q.id}: a question about the site expects facts"
        if q.kind in ACTION_CLASSES:
            assert q.action and q.action != "unanswered", q.id
        if q.kind == "unknown":
            assert q.action == "unanswered", q.id
        if q.kind == "context":
            assert q.history, f"{q.id}: a context question needs the earlier messages"
        if q.action in ("cancel", "reschedule"):
            assert q.setup == "booked", f"{q.id}: there must be a booking to {q.action}"


@pytest.mark.parametrize("key", KEYS)
def test_every_expected_fact_is_stated_by_the_business(key):
    business = load_business(key)
    raw, ingested = source_text(business), _ingested_text(business)
    missing = [
        (q.id, alt)
        for q in _all(key)
        for group in q.facts
        for alt in group
        if normalise(alt) not in raw or normalise(alt) not in ingested
    ]
    assert not missing, f"facts not stated on the pages or in the services: {missing}"


@pytest.mark.parametrize("key", KEYS)
def test_questions_do_not_copy_the_pages(key):
    business = load_business(key)
    words = re.compile(r"[a-z0-9£$€%.,']+")
    page_text = " ".join(words.findall(normalise(source_text(business))))
    page_headings = {
        " ".join(words.findall(normalise(h))).strip(" .,")
        for p in business.pages
        for h in headings(p)
    }
    for q in _all(key):
        tokens = words.findall(normalise(q.text).replace("?", ""))
        assert " ".join(tokens).strip(" .,") not in page_headings, f"{q.id} repeats a heading"
        runs = {" ".join(tokens[i : i + 7]) for i in range(len(tokens) - 6)}
        copied = [run for run in runs if f" {run} " in f" {page_text} "]
        assert not copied, f"{q.id} copies page text: {copied}"


@pytest.mark.parametrize("key", KEYS)
def test_about_a_third_is_held_out_and_unseen_businesses_are_all_held_out(key):
    tuned, heldout = load_questions(key, ("tuned",)), load_questions(key, ("heldout",))
    if load_business(key).unseen:
        assert not tuned and heldout
        return
    share = len(heldout) / (len(tuned) + len(heldout))
    assert 0.28 <= share <= 0.38, f"{key}: {share:.0%} held out"
    tuned_kinds, held_kinds = Counter(q.kind for q in tuned), Counter(q.kind for q in heldout)
    for kind in CLASSES:
        assert tuned_kinds[kind] and held_kinds[kind], f"{key}: {kind} on both sides"


def test_tuned_questions_are_the_default_and_held_out_ones_need_asking_for():
    for key in KEYS:
        assert {q.split for q in load_questions(key)} <= {"tuned"}
        assert {q.split for q in load_questions(key, ("heldout",))} == {"heldout"}
