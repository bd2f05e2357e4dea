"""Fit the answer ranking's hand-set constants by leave-one-business-out cross-validation.

Run: .venv/bin/python bench/answers_tune.py [--baseline] [--set NAME=VALUE ...] [--lobo]
     [--passes N] [--only NAME ...] [--random N   N settings moving several constants at once (--share of them, one or two steps),
             and leave-one-business-out for picking the best of them on the others
--memo FILE]

Every business's TUNED questions (never the held-out ones) are asked of the real offline engine
(tests/support/answers_runner.py), in one process, with the ranking's constants overridden
(module attributes patched for the evaluation, then put back). The businesses are set up once;
each evaluation restores their databases from a copy taken after setup, so every evaluation
starts from the same state. A question whose conversation never searched the knowledge base
at the first evaluation cannot depend on these constants and is not asked again.

--baseline   today's constants, per business, and the time one evaluation takes
--screen     each value of each constant alone, against today's: questions won and lost
--set        one setting (NAME=VALUE, repeatable), against today's
--lobo       coordinate search over PARAMS on all businesses, and for each business B the same
             search on the others only, B scored with what they chose: how a setting chosen
             this way does on a business it was not fitted to (compared with today's)
--random N   N settings moving several constants at once (--share of them, one or two steps),
             and leave-one-business-out for picking the best of them on the others
--memo FILE  evaluations kept as JSON lines, so a stopped search resumes where it was
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import json
import logging
import random
import shutil
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

sys.path[:0] = [
    str(Path(__file__).resolve().parents[1]),
    str(Path(__file__).resolve().parents[1] / "server"),
]

from tests.support.answers_dataset import business_keys, load_business, load_questions  # noqa: E402
from tests.support.answers_runner import BusinessRun  # noqa: E402

K = "frontdesk.knowledge."
# name: (where it is bound, values tried; today's value first). A constant imported by name
# into another module is bound there too and patched in both.
PARAMS: dict[str, tuple[tuple[str, ...], tuple[float, ...]]] = {
    "IN_CONTEXT": ((K + "ranking",), (0.95, 0.8, 0.9, 1.0)),
    "IN_HEADING": ((K + "ranking",), (0.75, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0)),
    "IN_NEIGHBOUR": ((K + "ranking",), (0.35, 0.2, 0.3, 0.4, 0.5)),
    "IN_TITLE": ((K + "ranking",), (0.3, 0.15, 0.25, 0.35, 0.45, 0.6)),
    "ASPECT_BONUS": ((K + "ranking",), (1.2, 0.6, 0.9, 1.1, 1.3, 1.6, 2.0)),
    "EVIDENCE": ((K + "ranking",), (0.1, 0.05, 0.075, 0.15, 0.2, 0.3)),
    "PARTIAL": ((K + "ranking",), (0.85, 0.6, 0.75, 0.8, 0.9, 0.95)),
    "RANK_PENALTY": ((K + "ranking",), (0.04, 0.0, 0.02, 0.03, 0.05, 0.08, 0.15)),
    "STEPS_HEADED": ((K + "ranking",), (0.5, 0.25, 1.0)),
    "FOCUS": ((K + "ranking",), (0.5, 0.25, 1.0)),
    "HINT_MET": ((K + "ranking",), (0.6, 0.4, 0.8)),
    "QUESTION_HEADING": ((K + "ranking",), (1.0, 0.75, 0.9)),
    "FAQ_BONUS": ((K + "ranking",), (0.15, 0.0, 0.3, 0.5)),
    "FAQ_ECHO": ((K + "ranking",), (2.0, 1.0, 1.5, 2.5, 3.0)),
    "FAQ_ECHO_FROM": ((K + "ranking",), (0.3, 0.2, 0.4, 0.5)),
    "PAIR_BONUS": ((K + "ranking",), (0.5, 0.0, 0.25, 1.0)),
    "EXCLUDED_PENALTY": ((K + "ranking",), (1.5, 0.75, 3.0)),
    "MISSING_SHARE": ((K + "ranking",), (0.25, 0.0, 0.4)),
    "OWN_BONUS": ((K + "ranking",), (0.1, 0.0, 0.05, 0.15, 0.2, 0.4)),
    "MEANING_TOP": ((K + "ranking",), (12, 6, 20)),
    "SEM_FROM": ((K + "semantic",), (0.2, 0.1, 0.3, 0.4)),
    "SEM_COVER": ((K + "semantic",), (0.5, 0.0, 0.25, 0.75)),
    "SEM_ORDER": ((K + "semantic",), (0.0, 0.01, 0.1, 0.2, 0.4, 0.8)),
    "CONFIDENT": ((K + "retrieve",), (0.35, 0.3, 0.325, 0.375, 0.4, 0.45)),
    "CONFIDENT_WITH_ASPECT": ((K + "retrieve",), (0.3, 0.25, 0.275, 0.325, 0.35)),
    "CONFIDENT_WITHOUT_FACT": ((K + "retrieve",), (0.6, 0.45, 0.75)),
    "ECHO_SURE": ((K + "retrieve",), (0.25, 0.15, 0.35)),
    "LIKELY": ((K + "retrieve",), (0.1, 0.05, 0.2)),
    "FACT_COVERAGE": ((K + "retrieve",), (0.7, 0.5, 0.6, 0.8, 0.9)),
    "FACT_SCORE": ((K + "retrieve",), (0.8, 0.6, 0.7, 0.9)),
    "FACT_RANK": ((K + "retrieve",), (2.0, 0.0, 1.0, 4.0)),
    "MEANING_LOOK": ((K + "retrieve",), (3, 2, 4)),
    "MEANING_DOUBT": ((K + "retrieve",), (0.8, 0.0, 0.6, 1.01)),
    "MEANING_WEIGHT": ((K + "retrieve",), (0.3, 0.1, 0.2, 0.4, 0.5, 0.7, 1.0)),
    "FOLLOWS": ((K + "excerpt",), (0.7, 0.5, 0.6, 0.65, 0.75, 0.85)),
    "SECTION_LED": ((K + "excerpt",), (0.4, 0.2, 0.3, 0.5)),
    "RUNNER_UP": (("frontdesk.assistant.offline.answers",), (0.55, 0.4, 0.5, 0.6, 0.65, 0.75)),
    "NEAR": ((K + "neighbours",), (0.65, 0.55, 0.6, 0.7, 0.8)),
    "STRENGTH": ((K + "neighbours",), (0.7, 0.5, 0.85)),
    "SYNONYM_STRENGTH": ((K + "concepts", K + "question"), (0.7, 0.5, 0.6, 0.65, 0.75, 0.8)),
    "CARRIED_WEIGHT": ((K + "concepts", K + "question"), (0.45, 0.3, 0.6)),
    "GENERIC_WEIGHT": ((K + "concepts",), (0.5, 0.25, 0.75)),
    "TYPO_STRENGTH": ((K + "spelling",), (0.6, 0.4, 0.8)),
}

Setting = dict[str, float]


def today() -> Setting:
    """The constants as the code sets them (checked against PARAMS' first values)."""
    out = {}
    for name, (modules, values) in PARAMS.items():
        found = {getattr(importlib.import_module(m), name) for m in modules}
        assert found == {values[0]}, f"{name}: code has {found}, PARAMS {values[0]}"
        out[name] = values[0]
    return out


@contextlib.contextmanager
def overridden(setting: Setting) -> Iterator[None]:
    """The constants of `setting` patched into their modules, put back afterwards."""
    saved = []
    try:
        for name, value in setting.items():
            for module in PARAMS[name][0]:
                mod = importlib.import_module(module)
                saved.append((mod, name, getattr(mod, name)))
                setattr(mod, name, value)
        yield
    finally:
        for mod, name, value in reversed(saved):
            setattr(mod, name, value)


class Harness:
    """Every business set up once, its tuned questions asked again per setting."""

    def __init__(self, keys: list[str], folder: Path) -> None:
        import frontdesk.assistant.tools.knowledge_search as search

        self.runs: dict[str, tuple[BusinessRun, list, Path]] = {}
        for key in keys:
            run = BusinessRun(load_business(key), folder)
            run.db.dispose()  # the WAL folded in: the file alone is the database
            path = folder / f"{key}.sqlite3"
            shutil.copyfile(path, folder / f"{key}.pristine")
            self.runs[key] = (run, load_questions(key, ("tuned",)), path)
        # Which questions search the knowledge base: the others are settled by the first run.
        self.searched = 0
        real = search.retrieve

        def counted(*args, **kwargs):
            self.searched += 1
            return real(*args, **kwargs)

        search.retrieve = counted
        self.settled: dict[str, bool] = {}
        self.first = True

    def evaluate(self, setting: Setting) -> dict[str, list[str]]:
        """The failing tuned question ids per business under `setting`."""
        failed: dict[str, list[str]] = {}
        with overridden(setting):
            for key, (run, questions, path) in self.runs.items():
                run.db.dispose()
                for suffix in ("-wal", "-shm"):
                    Path(f"{path}{suffix}").unlink(missing_ok=True)
                shutil.copyfile(path.with_suffix(".pristine"), path)
                failed[key] = []
                for question in questions:
                    if question.id in self.settled:
                        passed = self.settled[question.id]
                    else:
                        before = self.searched
                        passed = run.ask(question).passed
                        if self.first and self.searched == before:
                            self.settled[question.id] = passed
                    if not passed:
                        failed[key].append(question.id)
        self.first = False
        return failed

    def sizes(self) -> dict[str, int]:
        """Tuned questions per business."""
        return {key: len(questions) for key, (_, questions, _) in self.runs.items()}


class Memo:
    """Evaluations by setting (only what differs from today's), kept in a JSON-lines file."""

    def __init__(self, harness: Harness, path: Path | None) -> None:
        self.harness, self.path, self.base = harness, path, today()
        self.known: dict[str, dict[str, list[str]]] = {}
        self.evaluations = 0
        if path and path.exists():
            for line in path.read_text().splitlines():
                row = json.loads(line)
                self.known[row["key"]] = row["failed"]

    def key(self, setting: Setting) -> str:
        return json.dumps({n: v for n, v in sorted(setting.items()) if self.base[n] != v})

    def failed(self, setting: Setting) -> dict[str, list[str]]:
        """The failing ids per business, evaluated once per distinct setting."""
        key = self.key(setting)
        if key not in self.known:
            started = time.process_time()
            self.known[key] = self.harness.evaluate(setting)
            self.evaluations += 1
            if self.path:
                with self.path.open("a") as out:
                    out.write(json.dumps({"key": key, "failed": self.known[key]}) + "\n")
            spent = time.process_time() - started
            total = sum(map(len, self.known[key].values()))
            print(f"    eval {self.evaluations}: {key} -> {total} failed ({spent:.1f} s CPU)")
        return self.known[key]

    def passed(self, setting: Setting, keys: list[str]) -> int:
        """Tuned questions answered right over `keys` under `setting`."""
        sizes, failed = self.harness.sizes(), self.failed(setting)
        return sum(sizes[k] - len(failed[k]) for k in keys)


def coordinate_search(memo: Memo, keys: list[str], names: list[str], passes: int) -> Setting:
    """Each constant in turn set to the value answering most of `keys` right (today's kept on a
    tie, a change must win at least one question), for `passes` rounds or until none moves."""
    current = dict(memo.base)
    for _ in range(passes):
        moved = False
        for name in names:
            best, best_score = current[name], memo.passed(current, keys)
            for value in PARAMS[name][1]:
                if value != current[name]:
                    score = memo.passed({**current, name: value}, keys)
                    if score > best_score:
                        best, best_score = value, score
            if best != current[name]:
                print(f"  {name}: {current[name]} -> {best} ({best_score})")
                current[name], moved = best, True
        if not moved:
            break
    return current


def screen(memo: Memo, names: list[str]) -> None:
    """Each value of each constant alone, against today's: what it wins and loses, where."""
    base = memo.failed(memo.base)
    for name in names:
        for value in PARAMS[name][1][1:]:
            failed = memo.failed({**memo.base, name: value})
            won = [q for k in base for q in base[k] if q not in failed[k]]
            lost = [q for k in failed for q in failed[k] if q not in base[k]]
            if won or lost:
                print(f"  {name}={value}: +{len(won)} -{len(lost)}  won {won} lost {lost}")


def lobo(memo: Memo, names: list[str], passes: int) -> None:
    """Leave-one-business-out: B scored with the setting searched on the others."""
    keys, sizes = list(memo.harness.sizes()), memo.harness.sizes()
    print("== search on all businesses")
    whole = coordinate_search(memo, keys, names, passes)
    base_failed = memo.failed(memo.base)
    rows = []
    for held in keys:
        print(f"== search without {held}")
        chosen = coordinate_search(memo, [k for k in keys if k != held], names, passes)
        after = sizes[held] - len(memo.failed(chosen)[held])
        rows.append((held, sizes[held] - len(base_failed[held]), after, memo.key(chosen)))
    print(f"\n{'business':<12} {'today':>8} {'LOBO':>8}  setting chosen without it")
    for held, before, after, chosen in rows:
        print(f"{held:<12} {before:>8} {after:>8}  {chosen}")
    total = sum(sizes.values())
    before, after = sum(r[1] for r in rows), sum(r[2] for r in rows)
    print(f"{'all':<12} {before:>8} {after:>8}  of {total}")
    whole_failed = memo.failed(whole)
    print(f"\nsearch on all: {memo.key(whole)}")
    print(f"  whole tuned {total - sum(map(len, whole_failed.values()))}/{total}")
    for key in keys:
        print(f"  {key:<12} {sorted(base_failed[key])} -> {sorted(whole_failed[key])}")


def random_settings(count: int, seed: int, share: float) -> list[Setting]:
    """`count` settings moving each constant, with probability `share`, one or two steps
    along its sorted values: joint moves that a search one constant at a time never tries."""
    rng = random.Random(seed)
    out = []
    for _ in range(count):
        setting = today()
        for name, (_, values) in PARAMS.items():
            if rng.random() < share:
                ladder = sorted(values)
                at = ladder.index(values[0]) + rng.choice((-2, -1, 1, 2))
                setting[name] = ladder[min(max(at, 0), len(ladder) - 1)]
        out.append(setting)
    return out


def best_of(memo: Memo, settings: list[Setting]) -> None:
    """Leave-one-business-out for "the best of these settings (today's on a tie)"."""
    keys, sizes = list(memo.harness.sizes()), memo.harness.sizes()
    candidates = [memo.base, *settings]
    scores = [memo.failed(s) for s in candidates]
    before = after = 0
    print(f"\n{'business':<12} {'today':>8} {'LOBO':>8}  setting chosen without it")
    for held in keys:
        others = [k for k in keys if k != held]
        right = [sum(sizes[k] - len(f[k]) for k in others) for f in scores]
        pick = right.index(max(right))  # the first best: today's when it ties
        base, chosen = sizes[held] - len(scores[0][held]), sizes[held] - len(scores[pick][held])
        before, after = before + base, after + chosen
        print(f"{held:<12} {base:>8} {chosen:>8}  {memo.key(candidates[pick])}")
    print(f"{'all':<12} {before:>8} {after:>8}  of {sum(sizes.values())}")
    whole = [sum(sizes[k] - len(f[k]) for k in keys) for f in scores]
    pick = whole.index(max(whole))
    print(f"best on all: {whole[pick]} {memo.key(candidates[pick])}; today's {whole[0]}")


def main() -> None:
    """Set the businesses up, then run what was asked for."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--baseline", action="store_true")
    parser.add_argument("--set", action="append", default=[], metavar="NAME=VALUE")
    parser.add_argument("--screen", action="store_true")
    parser.add_argument("--lobo", action="store_true")
    parser.add_argument("--passes", type=int, default=2)
    parser.add_argument("--random", type=int, default=0, help="this many joint moves")
    parser.add_argument("--seed", type=int, default=14)
    parser.add_argument("--share", type=float, default=0.15)
    parser.add_argument("--only", action="append", help="search only these constants")
    parser.add_argument("--memo", type=Path)
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    with tempfile.TemporaryDirectory() as folder:
        started = time.process_time()
        harness = Harness(business_keys(), Path(folder))
        print(f"set up {len(harness.runs)} businesses: {time.process_time() - started:.1f} s CPU")
        memo = Memo(harness, args.memo)
        base = memo.failed(memo.base)  # also settles the questions that never search
        sizes = harness.sizes()
        print(f"asked again per evaluation: {sum(sizes.values()) - len(harness.settled)}")
        if args.baseline:
            for key in sizes:
                print(f"  {key:<12} {sizes[key] - len(base[key])}/{sizes[key]}")
            print(f"  all {memo.passed(memo.base, list(sizes))}/{sum(sizes.values())}")
        if args.set:
            setting = dict(memo.base)
            for item in args.set:
                name, value = item.split("=")
                setting[name] = type(memo.base[name])(float(value))
            failed = memo.failed(setting)
            for key in sizes:
                print(f"  {key:<12} {sorted(base[key])} -> {sorted(failed[key])}")
            print(
                f"  all {memo.passed(memo.base, list(sizes))} -> {memo.passed(setting, list(sizes))}"
            )
        if args.screen:
            screen(memo, args.only or list(PARAMS))
        if args.random:
            best_of(memo, random_settings(args.random, args.seed, args.share))
        if args.lobo:
            lobo(memo, args.only or list(PARAMS), args.passes)


if __name__ == "__main__":
    main()
