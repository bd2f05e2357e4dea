"""Answer-quality floors: the offline engine keeps answering the sets at least this well.

Each business is set up in a real database through the real ingest path and asked every
question, tuned and held-out, through the real engine (runner.py). The floors sit just below
what bench/answers.py measured when they were set: a regression fails the suite. Raise them
when the engine gets better; never lower them to make a change pass. Held-out failures are
reported by id only, as the data's README asks.
"""

from __future__ import annotations

import pytest

from tests.support.answers_dataset import SPLITS, business_keys, load_business, load_questions
from tests.support.answers_runner import Outcome, run_business

pytestmark = pytest.mark.slow

# (tuned, held-out) share of questions answered right, per business.
FLOORS = {
    "bikeshop": (0.92, 0.86),  # 95% (38/40), 89% (16/18); written in issue 14's second pass
    # fourth pass, written before reading the engine: first contact 77% (30/39), 64% (14/22)
    "bookkeeper": (0.95, 0.75),  # 98% (42/43), 77% (17/22)
    "demo": (0.91, 0.87),  # measured 94% (44/47), 90% (18/20)
    "dental": (0.97, 0.92),  # 100% (47/47), 95% (20/21)
    # sixth pass, written before reading the engine: first contact 73% (35/48), 74% (17/23)
    "driving": (0.9, 0.73),  # 92% (44/48), 74% (17/23)
    "lawfirm": (0.95, 0.87),  # 98% (45/46), 90% (18/20)
    # seventh pass, written before reading the engine: first contact 71% (34/48), 70% (16/23)
    "music": (0.89, 0.68),  # 92% (44/48), 70% (16/23)
    # fourth pass, written before reading the engine: first contact 85% (34/40), 59% (13/22)
    "physio": (0.92, 0.63),  # 93% (41/44), 64% (14/22)
    "plumber": (0.9, 0.8),  # 93% (43/46), 83% (20/24); written in issue 14's third pass
    "salon": (0.97, 0.82),  # 100% (49/49), 85% (17/20)
    # fifth pass, written before reading the engine: first contact 78% (35/45), 83% (20/24)
    "tuition": (0.89, 0.8),  # 91% (41/45), 83% (20/24)
    "unseen_vet": (None, 0.79),  # -, 81% (51/63)
    "yoga": (0.95, 0.85),  # 98% (40/41), 88% (15/17); written in issue 14's second pass
}


@pytest.fixture(scope="module")
def outcomes() -> dict[str, list[Outcome]]:
    """Every business's outcomes, computed once for all the tests here."""
    return {
        key: run_business(load_business(key), load_questions(key, SPLITS))
        for key in business_keys(unseen=True)
    }


def _share(outcomes: list[Outcome]) -> float:
    return sum(o.passed for o in outcomes) / len(outcomes) if outcomes else 1.0


def _failed(outcomes: list[Outcome]) -> list[str]:
    return [f"{o.question.id} ({o.question.kind}: {o.reason})" for o in outcomes if not o.passed]


def test_every_business_has_a_floor():
    assert set(business_keys(unseen=True)) == set(FLOORS)


@pytest.mark.parametrize("key", sorted(FLOORS))
@pytest.mark.parametrize("split", SPLITS)
def test_accuracy_stays_above_its_floor(outcomes, key, split):
    floor = FLOORS[key][SPLITS.index(split)]
    if floor is None:
        pytest.skip(f"{key} has no {split} questions")
    asked = [o for o in outcomes[key] if o.question.split == split]
    assert asked
    assert _share(asked) >= floor, f"{key} {split}: {_share(asked):.0%}, failed {_failed(asked)}"


def test_every_command_is_recognised_as_a_command(outcomes):
    commands = [o for results in outcomes.values() for o in results if o.question.kind == "command"]
    assert commands
    assert all(o.passed for o in commands), _failed(commands)
