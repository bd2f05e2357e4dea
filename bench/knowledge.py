"""Knowledge search benchmark: p50/p99 of search() over 10,000 chunks on SQLite and PostgreSQL.

Run: .venv/bin/python bench/knowledge.py [--chunks N] [--queries N]
Creates its own temporary databases (a SQLite file, and a PostgreSQL database when the server
is reachable), migrates them, fills them with synthetic but varied business text (Zipf-like
word frequencies, 120-250 word passages, ten sites) and removes them afterwards.
"""

from __future__ import annotations

import argparse
import itertools
import os
import random
import secrets
import statistics
import tempfile
import time
import uuid

from sqlalchemy import insert

from frontdesk.db import Database
from frontdesk.db.migrate import upgrade
from frontdesk.db.models import Chunk, Document, Site
from frontdesk.knowledge.search import search

PG_ADMIN_URL = os.environ.get(
    "FRONTDESK_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
SITES = 10
CHUNKS_PER_DOCUMENT = 8

TOPICS = {
    "pricing": "price cost fee quote invoice deposit payment discount package plan budget rate",
    "hours": "open hours weekday weekend holiday appointment morning afternoon evening closed",
    "location": "office studio parking street building floor entrance train bus station map",
    "web": "website design page layout responsive hosting domain email template shop seo",
    "ai": "ai model chatbot automation integration data training prompt assistant workflow",
    "policy": "refund cancel policy privacy contract terms warranty guarantee liability notice",
    "team": "designer developer consultant manager team experience project client partner",
    "process": "meeting workshop audit review prototype launch feedback revision milestone",
    "media": "photo video tour camera drone virtual panorama editing render gallery",
    "support": "support maintenance update backup security monitoring response ticket phone",
}


def _words(text: str) -> list[str]:
    return text.split()


FILLER = _words(
    "the we our you your a and to of for in with on is are can will be this that it at as "
    "from by or all each every also any more most new good small local free simple clear"
)
VERBS = _words("offer provide include build deliver arrange schedule prepare handle manage")
QUESTION_STARTS = ["how much is", "do you offer", "when is your", "can I get", "what about"]
SYLLABLES = _words("ka lo mi ran te vos pel dru sin tor ba nek fi lum har zo qui sta ver mon")
VOCABULARY_SIZE = 8000


class Vocabulary:
    """Made-up content words drawn by Zipf's law, as in real text.

    The most frequent words of real text are stop words (the FILLER, dropped by search), so
    content words start further down the curve: rank 50 onwards.
    """

    def __init__(self, rng: random.Random) -> None:
        words: list[str] = []
        while len(words) < VOCABULARY_SIZE:
            word = "".join(rng.choice(SYLLABLES) for _ in range(rng.randint(2, 4)))
            if word not in words:
                words.append(word)
        self.words = words + VERBS
        rng.shuffle(self.words)
        weights = [1.0 / (rank + 50) ** 1.07 for rank in range(len(self.words))]
        self.cumulative = list(itertools.accumulate(weights))

    def draw(self, rng: random.Random, count: int) -> list[str]:
        """`count` words, common ones often and rare ones rarely."""
        return rng.choices(self.words, cum_weights=self.cumulative, k=count)


def zipf_choice(rng: random.Random, words: list[str]) -> str:
    """Earlier words are much more common than later ones, as in real text."""
    index = min(int(rng.paretovariate(1.2)) - 1, len(words) - 1)
    return words[index]


def passage(rng: random.Random, vocabulary: Vocabulary, topic: str) -> tuple[str, str]:
    """A heading and a 120-250 word passage: filler, topic words and the wider vocabulary."""
    own = TOPICS[topic].split()
    words: list[str] = []
    target = rng.randint(120, 250)
    while len(words) < target:
        sentence = [rng.choice(FILLER).capitalize()]
        length = rng.randint(5, 14)
        general = iter(vocabulary.draw(rng, length))
        for _ in range(length):
            roll = rng.random()
            if roll < 0.4:
                sentence.append(rng.choice(FILLER))
            elif roll < 0.48:
                sentence.append(zipf_choice(rng, own))
            else:
                sentence.append(next(general))
        words.extend(sentence)
        words[-1] += "."
    heading = f"{topic.title()} {zipf_choice(rng, own)}"
    return heading, " ".join(words)


def fill(db: Database, total_chunks: int, rng: random.Random, vocabulary: Vocabulary) -> list[int]:
    """Create SITES sites sharing total_chunks chunks; returns the site ids."""
    site_ids = []
    with db.transaction() as session:
        for number in range(SITES):
            site = Site(
                public_key="pk_" + secrets.token_hex(8),
                name=f"Bench {number}",
                calendar_secret=secrets.token_urlsafe(24),
            )
            session.add(site)
            session.flush()
            site_ids.append(site.id)
    documents = total_chunks // CHUNKS_PER_DOCUMENT
    for index in range(documents):
        site_id = site_ids[index % SITES]
        topic = rng.choice(list(TOPICS))
        with db.transaction() as session:
            document = Document(
                site_id=site_id,
                source=f"/bench/{index}.md",
                title=f"{topic.title()} guide {index}",
                url=f"https://bench.example/{index}",
                content_hash=uuid.uuid4().hex,
            )
            session.add(document)
            session.flush()
            rows = []
            for position in range(CHUNKS_PER_DOCUMENT):
                chunk_topic = topic if rng.random() < 0.8 else rng.choice(list(TOPICS))
                heading, text = passage(rng, vocabulary, chunk_topic)
                rows.append(
                    {
                        "document_id": document.id,
                        "site_id": site_id,
                        "position": position,
                        "heading": heading,
                        "text": text,
                    }
                )
            session.execute(insert(Chunk), rows)
    return site_ids


def questions(rng: random.Random, vocabulary: Vocabulary, count: int) -> list[str]:
    """Visitor-like questions: topic words, a word or two of the wider vocabulary, or nonsense."""
    result = []
    for _ in range(count):
        own = TOPICS[rng.choice(list(TOPICS))].split()
        words = [zipf_choice(rng, own) for _ in range(rng.randint(1, 3))]
        if rng.random() < 0.5:
            words += vocabulary.draw(rng, rng.randint(1, 2))
        if rng.random() < 0.1:
            words = ["chocolate", "cake", "recipe"]
        result.append(f"{rng.choice(QUESTION_STARTS)} {' '.join(words)}?")
    return result


def measure(db: Database, site_ids: list[int], queries: list[str]) -> dict[str, float]:
    """Time search() for each query (a fresh session each, as the chat tools do)."""
    for query in queries[:20]:  # warm caches
        with db.session() as session:
            search(session, site_ids[0], query)
    wall, cpu, hits = [], [], 0
    for index, query in enumerate(queries):
        site_id = site_ids[index % len(site_ids)]
        started, started_cpu = time.perf_counter(), time.process_time()
        with db.session() as session:
            results = search(session, site_id, query)
        wall.append((time.perf_counter() - started) * 1000)
        cpu.append((time.process_time() - started_cpu) * 1000)
        hits += bool(results)
    return {**percentiles(wall, ""), **percentiles(cpu, "cpu_"), "answered": hits / len(queries)}


def percentiles(timings: list[float], prefix: str) -> dict[str, float]:
    """p50/p95/p99/max of a list of milliseconds."""
    ordered = sorted(timings)
    return {
        prefix + "p50": statistics.median(ordered),
        prefix + "p95": ordered[int(0.95 * (len(ordered) - 1))],
        prefix + "p99": ordered[int(0.99 * (len(ordered) - 1))],
        prefix + "max": ordered[-1],
    }


def run(label: str, db: Database, chunks: int, query_count: int) -> None:
    """Migrate, fill, measure and print one backend's figures."""
    upgrade(db)
    rng = random.Random(42)
    vocabulary = Vocabulary(rng)
    started = time.perf_counter()
    site_ids = fill(db, chunks, rng, vocabulary)
    filled = time.perf_counter() - started
    figures = measure(db, site_ids, questions(rng, vocabulary, query_count))
    print(
        f"{label:<10} {chunks} chunks in {SITES} sites (filled in {filled:.1f} s), "
        f"{query_count} queries: p50 {figures['p50']:.2f} ms, p95 {figures['p95']:.2f} ms, "
        f"p99 {figures['p99']:.2f} ms, max {figures['max']:.2f} ms, "
        f"{figures['answered']:.0%} with results"
    )
    # For SQLite the work happens in this process, so CPU time excludes waiting for a core
    # on a busy machine; for PostgreSQL it is only the client's share.
    print(
        f"{'':<10} CPU time in this process: p50 {figures['cpu_p50']:.2f} ms, "
        f"p95 {figures['cpu_p95']:.2f} ms, p99 {figures['cpu_p99']:.2f} ms, "
        f"max {figures['cpu_max']:.2f} ms"
    )


def main() -> None:
    """Run the benchmark on SQLite, then on PostgreSQL when reachable."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--chunks", type=int, default=10_000)
    parser.add_argument("--queries", type=int, default=1000)
    args = parser.parse_args()
    load = os.getloadavg()[0]
    print(f"load average {load:.1f} on {os.cpu_count()} CPUs (wall-clock figures suffer above 1)")

    with tempfile.TemporaryDirectory() as folder:
        db = Database(f"sqlite:///{folder}/bench.sqlite3")
        try:
            run("SQLite", db, args.chunks, args.queries)
        finally:
            db.dispose()

    admin = Database(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    if not admin.ping():
        print(f"PostgreSQL   not reachable at {PG_ADMIN_URL}: skipped")
        return
    name = f"fd_bench_kb_{uuid.uuid4().hex[:8]}"
    with admin.engine.connect() as conn:
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    db = Database(PG_ADMIN_URL.rsplit("/", 1)[0] + "/" + name)
    try:
        run("PostgreSQL", db, args.chunks, args.queries)
    finally:
        db.dispose()
        with admin.engine.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()


if __name__ == "__main__":
    main()
