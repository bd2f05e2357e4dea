"""Time of one offline answer over a 10,000-chunk knowledge base (issue 14: p99 <= 20 ms).

The demo business is set up as `make run` does, then its knowledge base is grown to the given
number of chunks with synthetic but varied business text (bench/knowledge.py's generator), in
the same site. Each visitor question of the demo's tuned set is then answered by the real
offline engine with the real tools, in a fresh conversation, many times over; wall-clock and
CPU time of `OfflineEngine.respond` are reported (CPU time is this process's own work, which
on a busy machine is the steadier figure; SQLite runs in-process, so it is all of it).
Dialogues (booking, which parses dates) are not answers and are left out.

Run alone: PYTHONPATH=$PWD/server:$PWD .venv/bin/python bench/answer_latency.py [--chunks N]
[--rounds N] [--slowest N]
"""

from __future__ import annotations

import argparse
import random
import statistics
import tempfile
import time
import uuid
from pathlib import Path

from bench.knowledge import CHUNKS_PER_DOCUMENT, TOPICS, Vocabulary, passage
from sqlalchemy import func, insert, select
from tests.support.answers_conversation import VisitorChat
from tests.support.answers_dataset import load_business, load_questions
from tests.support.answers_runner import BusinessRun

from frontdesk.db.models import Chunk, Document

TARGET_MS = 20.0
ROUNDS = 5


def grow(run: BusinessRun, total_chunks: int) -> int:
    """Add synthetic documents to the business's site until it has `total_chunks` chunks."""
    rng = random.Random(14)
    vocabulary = Vocabulary(rng)
    with run.db.session() as session:
        have = session.scalar(select(func.count(Chunk.id)).where(Chunk.site_id == run.site_id))
    index = 0
    while have < total_chunks:
        topic = rng.choice(list(TOPICS))
        with run.db.transaction() as session:
            document = Document(
                site_id=run.site_id,
                source=f"/bench/answers/{index}.md",
                title=f"{topic.title()} notes {index}",
                url=f"https://bench.example/answers/{index}",
                content_hash=uuid.uuid4().hex,
            )
            session.add(document)
            session.flush()
            rows = []
            for position in range(min(CHUNKS_PER_DOCUMENT, total_chunks - have)):
                heading, text = passage(rng, vocabulary, topic)
                rows.append(
                    {
                        "document_id": document.id,
                        "site_id": run.site_id,
                        "position": position,
                        "heading": heading,
                        "text": text,
                    }
                )
            session.execute(insert(Chunk), rows)
            have += len(rows)
        index += 1
    return have


def percentile(values: list[float], share: float) -> float:
    """The value below which `share` of the sorted values lie."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * (len(ordered) - 1) + 0.5))]


def measure_latency(chunks: int, rounds: int = ROUNDS, slowest: int = 0) -> None:
    """Build the big knowledge base, answer the demo's questions, print p50/p99 against target
    (and the `slowest` questions by their median CPU time, to know what to profile)."""
    business = load_business("demo")
    # Answers, not dialogues: the questions whose reply is a fact or an honest "not known".
    questions = [
        q for q in load_questions("demo") if not q.history and (q.facts or q.action == "unanswered")
    ]
    with tempfile.TemporaryDirectory() as folder:
        run = BusinessRun(business, Path(folder))
        try:
            started = time.perf_counter()
            total = grow(run, chunks)
            print(
                f"knowledge base: {total} chunks in one site (built in "
                f"{time.perf_counter() - started:.0f} s)"
            )
            for question in questions[:5]:  # warm the caches, as a running server has them
                VisitorChat(run, f"warm-{uuid.uuid4().hex[:6]}").say(question.text)
            wall, cpu = [], []
            per_question: dict[str, list[float]] = {q.text: [] for q in questions}
            for round_number in range(rounds):
                for question in questions:
                    chat = VisitorChat(run, f"v{round_number}-{question.id}")
                    began, began_cpu = time.perf_counter(), time.process_time()
                    chat.say(question.text)
                    wall.append((time.perf_counter() - began) * 1000)
                    cpu.append((time.process_time() - began_cpu) * 1000)
                    per_question[question.text].append(cpu[-1])
        finally:
            run.close()
    print(
        f"offline answer, {len(wall)} answers: wall p50 {statistics.median(wall):.1f} ms, "
        f"p99 {percentile(wall, 0.99):.1f} ms; CPU p50 {statistics.median(cpu):.1f} ms, "
        f"p99 {percentile(cpu, 0.99):.1f} ms (target p99 <= {TARGET_MS:.0f} ms)"
    )
    by_median = sorted(per_question.items(), key=lambda item: -statistics.median(item[1]))
    for text, times in by_median[:slowest]:
        print(f"  CPU median {statistics.median(times):5.1f} ms, max {max(times):5.1f} ms: {text}")


def main() -> None:
    """Run the measurement alone (bench/answers.py runs it after the accuracy tables)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--chunks", type=int, default=10_000, help="knowledge base size")
    parser.add_argument("--rounds", type=int, default=ROUNDS, help="times each question is asked")
    parser.add_argument("--slowest", type=int, default=0, help="print the N slowest questions")
    args = parser.parse_args()
    measure_latency(args.chunks, args.rounds, args.slowest)


if __name__ == "__main__":
    main()
