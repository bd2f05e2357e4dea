"""Answer quality and speed of the offline engine (issue 14): accuracy per set, class and split.

Run: .venv/bin/python bench/answers.py [--business KEY ...] [--show] [--skip-latency] [--stages]
     [--set NAME=VALUE ...]

Every business in tests/answers/data (the unseen ones included) is set up in its own database
and asked its tuned and held-out questions through the real engine (tests/support/answers_runner.py).
Prints accuracy per business and split, per class, the command recognition rate, and the p99
time of an offline answer over a 10,000-chunk knowledge base (target: 20 ms).
Held-out failures are printed by id and class only: their text must not be read while tuning.
`--show` prints the text and reply of TUNED failures. `--stages` says at which stage of the
engine each failure lost its facts (tests/support/answers_stages.py): counts per split, class
and stage, and the failures' ids by stage (held-out and unseen: ids only). `--set` runs the
sets with ranking constants overridden (names and places as in bench/answers_tune.py): read a
setting fitted on the tuned questions against the held-out ones once, never to fit it.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
from collections import defaultdict
from pathlib import Path

sys.path[:0] = [
    str(Path(__file__).resolve().parents[1]),
    str(Path(__file__).resolve().parents[1] / "server"),
]

from bench.answer_latency import measure_latency  # noqa: E402
from bench.answers_tune import overridden, today  # noqa: E402
from tests.support.answers_dataset import (  # noqa: E402
    CLASSES,
    SPLITS,
    business_keys,
    load_business,
    load_questions,
)
from tests.support.answers_runner import Outcome, run_business  # noqa: E402
from tests.support.answers_stages import STAGES  # noqa: E402

TARGET = 0.90


def rate(outcomes: list[Outcome]) -> str:
    """'93% (28/30)', or '-' for none."""
    if not outcomes:
        return "-"
    passed = sum(o.passed for o in outcomes)
    return f"{passed / len(outcomes):.0%} ({passed}/{len(outcomes)})"


def report(results: dict[str, list[Outcome]], show: bool) -> None:
    """Print the accuracy tables and the failures."""
    print(f"{'business':<12} {'tuned':>14} {'held-out':>14}   target {TARGET:.0%} on every set")
    for key, outcomes in results.items():
        by_split = {s: [o for o in outcomes if o.question.split == s] for s in SPLITS}
        print(f"{key:<12} {rate(by_split['tuned']):>14} {rate(by_split['heldout']):>14}")
    everything = [o for outcomes in results.values() for o in outcomes]
    print(
        f"{'all':<12} {rate([o for o in everything if o.question.split == 'tuned']):>14} "
        f"{rate([o for o in everything if o.question.split == 'heldout']):>14}"
    )
    print()
    print(f"{'class':<22} {'tuned':>14} {'held-out':>14}")
    for kind in CLASSES:
        of_kind = [o for o in everything if o.question.kind == kind]
        tuned = [o for o in of_kind if o.question.split == "tuned"]
        held = [o for o in of_kind if o.question.split == "heldout"]
        print(f"{kind:<22} {rate(tuned):>14} {rate(held):>14}")
    commands = [o for o in everything if o.question.kind == "command"]
    print(f"\ncommands recognised as commands: {rate(commands)} (target 100%)")
    reasons: dict[str, int] = defaultdict(int)
    for o in everything:
        if not o.passed:
            reasons[o.reason] += 1
    if reasons:
        print("failure reasons: " + ", ".join(f"{r} {n}" for r, n in sorted(reasons.items())))
    print("\nfailures:")
    for o in everything:
        if o.passed:
            continue
        q = o.question
        if q.split != "tuned":
            print(f"  {q.id:<14} {q.kind:<22} held-out ({o.reason})")
        elif show:
            print(
                f"  {q.id:<14} {q.kind:<22} {o.reason}\n      Q: {q.text}\n      A: "
                + o.text.replace("\n", " ")[:300]
            )
        else:
            print(f"  {q.id:<14} {q.kind:<22} {o.reason}")


def split_of(outcome: Outcome) -> str:
    """'tuned', 'heldout', or 'unseen' for a business wholly held out."""
    if outcome.question.business.startswith("unseen_"):
        return "unseen"
    return outcome.question.split


def report_stages(results: dict[str, list[Outcome]]) -> None:
    """Failures counted by split, class and the stage that lost them; then their ids by stage."""
    failed = [o for outcomes in results.values() for o in outcomes if not o.passed]
    print("\nwhere failures were lost (tests/support/answers_stages.py):")
    print(f"{'split':<8} {'class':<22}" + "".join(f"{s:>11}" for s in STAGES) + f"{'all':>6}")
    for split in ("tuned", "heldout", "unseen"):
        of_split = [o for o in failed if split_of(o) == split]
        for kind in (*CLASSES, "all"):
            rows = [o for o in of_split if kind in ("all", o.question.kind)]
            if not rows:
                continue
            counts = "".join(f"{sum(o.stage == s for o in rows) or '.':>11}" for s in STAGES)
            print(f"{split:<8} {kind:<22}{counts}{len(rows):>6}")
    for split in ("tuned", "heldout", "unseen"):
        for stage in STAGES:
            ids = [o.question.id for o in failed if split_of(o) == split and o.stage == stage]
            if ids:
                print(f"  {split:<8} {stage:<11} " + " ".join(ids))


def main() -> None:
    """Run the sets (and the latency measurement) and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--business", action="append", help="only these businesses")
    parser.add_argument("--show", action="store_true", help="print tuned failures in full")
    parser.add_argument("--skip-latency", action="store_true")
    parser.add_argument("--stages", action="store_true", help="where each failure was lost")
    parser.add_argument("--chunks", type=int, default=10_000)
    parser.add_argument("--set", action="append", default=[], metavar="NAME=VALUE")
    args = parser.parse_args()
    # Warnings and errors only. Without a handler of our own, the first import of
    # wordllama (the offline engine's word vectors) calls logging.basicConfig(level=INFO), and
    # every later business's database migration then printed alembic's INFO lines.
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    keys = args.business or business_keys(unseen=True)
    base, setting = today(), {}
    for item in args.set:
        name, value = item.split("=")
        setting[name] = type(base[name])(float(value))
    if setting:
        print(f"constants overridden: {setting}")
    results = {}
    with overridden(setting):
        for key in keys:
            questions = load_questions(key, SPLITS)
            results[key] = run_business(load_business(key), questions, stages=args.stages)
        report(results, args.show)
        if args.stages:
            report_stages(results)
        if not args.skip_latency:
            print(f"\nload average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")
            measure_latency(args.chunks)


if __name__ == "__main__":
    main()
