"""The bench's stage attribution says where a failed question's facts were lost.

Questions are asked of the demo business through the real engine; the facts they expect are
chosen so that the stage is known: a command asked for a fact, a fact no page states, and
words picked from what the engine's own search found at each stage.
"""

from __future__ import annotations

import itertools
import re

import pytest

from tests.support.answers_dataset import Question, load_business, normalise
from tests.support.answers_runner import BusinessRun
from tests.support.answers_stages import _levels

QUESTION = "how long does a website build take"


@pytest.fixture(scope="module")
def run(tmp_path_factory) -> BusinessRun:
    """The demo business in its own database, judging failures by stage."""
    business = BusinessRun(load_business("demo"), tmp_path_factory.mktemp("stages"), stages=True)
    yield business
    business.close()


ASKED = itertools.count()


def ask(run: BusinessRun, text: str, *facts: str, kind: str = "service_info", **more) -> str:
    """The stage the runner gives a question expecting `facts`, or "" when it passed."""
    number = f"stage-{next(ASKED)}"  # each question its own conversation
    facts_wanted = tuple((f,) for f in facts)
    question = Question(number, "demo", kind, text, "tuned", facts=facts_wanted, **more)
    return run.ask(question).stage


def test_a_command_asked_for_a_fact_was_lost_at_the_route(run):
    assert ask(run, "cancel my booking please", "refund", kind="question_not_command") == "route"


def test_a_fact_no_passage_holds_was_lost_among_the_candidates(run):
    assert ask(run, QUESTION, "seventeen fortnights") == "candidates"


def test_a_question_the_site_does_not_answer_answered_with_confidence_lost_at_confidence(run):
    assert ask(run, QUESTION, kind="unknown", action="unanswered") == "confidence"


def test_words_found_at_one_stage_and_not_the_next_are_lost_at_the_next(run):
    """A word of the candidates missing from the three best sections is lost at `ranking`;
    one of those sections' missing from the quoted section at `order`; one of the quoted
    section missing from its best unit and quote at `unit`. A word of the quote passes."""
    levels = search_levels(run, QUESTION)
    picks = {
        "ranking": only(levels["candidates"], levels["ranking"]),
        "order": only(levels["ranking"], levels["order"]),
        "unit": only(levels["order"], levels["unit"] + levels["extraction"]),
    }
    for stage, found in picks.items():
        assert found, f"no word found only at the stage before {stage}"
        assert ask(run, QUESTION, found[0]) == stage
    assert ask(run, QUESTION, only(levels["extraction"], [])[0]) == ""


def search_levels(run: BusinessRun, text: str) -> dict[str, list[str]]:
    """What each stage held for the engine's own search of `text`."""
    tools = run.tools_for("stage-levels")
    arguments = {"query": text, "limit": 3, "context": None}
    return _levels(tools, arguments, tools.call("search_knowledge", arguments))


def only(texts: list[str], others: list[str]) -> list[str]:
    """The long words of `texts` that `others` do not hold (as the judge reads: substrings)."""
    said, elsewhere = normalise("\n".join(texts)), normalise("\n".join(others))
    return sorted({w for w in re.findall(r"[a-z]{7,}", said) if w not in elsewhere})
