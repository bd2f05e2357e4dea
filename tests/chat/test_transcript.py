"""The transcript's plain-SQL storage (frontdesk.db.raw) agrees with the ORM, on both backends."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from frontdesk.chat import conversation_store, transcript, turn_record, usage
from frontdesk.db import raw
from frontdesk.db.models import Conversation, Message, TokenUsage
from tests.support.conversations import HELLO, conversation_snapshot


def test_parameters_become_each_drivers_style_and_casts_are_left_alone():
    sql = raw.SQL("SELECT :a, x::jsonb, '12:30' FROM t WHERE b = :b_2")
    assert sql.sqlite == "SELECT :a, x::jsonb, '12:30' FROM t WHERE b = :b_2"
    assert sql.postgresql == "SELECT %(a)s, x::jsonb, '12:30' FROM t WHERE b = %(b_2)s"


def test_an_appended_entry_reads_back_the_same_through_the_orm(db, conversation):
    payload = {"sources": [{"title": "Prices", "url": "https://studio.test/p"}], "n": 1.5}
    entry, created = transcript.append(
        db, conversation.id, "assistant", "Hi **there**", html="<p>Hi</p>", payload=payload
    )
    assert created and entry.seq == 1
    with db.session() as orm:
        row = orm.scalars(select(Message).where(Message.id == entry.id)).one()
        stored = orm.get(Conversation, conversation.id)
    orm_fields = {name: getattr(row, name) for name in transcript.Entry.__dataclass_fields__}
    assert transcript.Entry(**orm_fields) == entry
    assert row.created_at.tzinfo is not None and row.created_at == entry.created_at
    assert stored.last_seq == 1 and stored.updated_at == entry.created_at


def test_orm_written_rows_read_back_through_plain_sql(db, conversation):
    when = datetime(2026, 3, 1, 9, 30, 0, tzinfo=UTC)  # whole seconds: no microseconds in text
    with db.transaction() as orm:
        orm.add(Message(
            conversation_id=conversation.id, seq=7, role="visitor", client_id="c-7", text="hello",
            html="<p>hello</p>", payload={"k": ["v"]}, flagged=True, created_at=when,
        ))  # fmt: skip
    (entry,) = transcript.visible_since(db, conversation.id, 0)
    assert (entry.seq, entry.payload, entry.flagged, entry.created_at) == (
        7,
        {"k": ["v"]},
        True,
        when,
    )


def test_seqs_follow_each_other_and_a_repeated_client_id_stores_nothing(db, conversation):
    first, _ = transcript.append(db, conversation.id, "visitor", "one", client_id="m1")
    second, _ = transcript.append(db, conversation.id, "assistant", "two")
    again, created = transcript.append(db, conversation.id, "visitor", "changed", client_id="m1")
    assert (first.seq, second.seq) == (1, 2)
    assert not created and again == first
    third, _ = transcript.append(db, conversation.id, "visitor", "three", client_id="m3")
    assert third.seq == 3  # the refused duplicate's seq bump was rolled back


def test_a_failed_transaction_leaves_nothing_behind(db, conversation):
    def fail(_session, _entry):
        raise RuntimeError("audit failed")

    with pytest.raises(RuntimeError, match="audit failed"):
        transcript.append(db, conversation.id, "tool_call", "x", also=fail)
    with db.session() as orm:
        assert orm.scalars(select(Message)).all() == []
        assert orm.get(Conversation, conversation.id).last_seq == 0
    entry, _ = transcript.append(db, conversation.id, "visitor", "still fine")
    assert entry.seq == 1


def test_also_runs_in_the_same_transaction_as_the_entry(db, conversation):
    seen = []

    def also(orm_session, entry):
        seen.append(orm_session.get(Message, entry.id).text)  # the ORM sees the raw insert

    entry, _ = transcript.append(db, conversation.id, "tool_call", "search", also=also)
    assert seen == ["search"] and entry.seq == 1


def test_an_unknown_conversation_is_refused(db, conversation):
    with pytest.raises(LookupError):
        transcript.append(db, conversation.id + 999, "visitor", "lost")


def test_racing_writers_get_distinct_seqs(db, conversation):
    seqs, errors = [], []

    def write(n):
        try:
            for i in range(10):
                entry, _ = transcript.append(
                    db, conversation.id, "visitor", f"{n}-{i}", client_id=f"{n}-{i}"
                )
                seqs.append(entry.seq)
        except Exception as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=write, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    assert sorted(seqs) == list(range(1, 41))


def test_racing_writers_of_one_client_id_store_it_once(db, conversation):
    # The duplicate is found by the unique constraint, not by a read before the insert.
    results, errors = [], []

    def write():
        try:
            results.append(transcript.append(db, conversation.id, "visitor", "hi", client_id="x"))
        except Exception as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=write) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    assert sum(created for _entry, created in results) == 1
    assert all(entry == results[0][0] for entry, _created in results)
    with db.session() as orm:
        assert len(orm.scalars(select(Message)).all()) == 1
        assert orm.get(Conversation, conversation.id).last_seq == 1


def test_a_visitor_entry_says_the_visitor_was_heard_from(db, conversation):
    # The socket's heartbeat relies on it: no write of its own while the visitor writes.
    transcript.append(db, conversation.id, "assistant", "hello")
    with db.session() as orm:
        assert orm.get(Conversation, conversation.id).visitor_seen_at is None
    entry, _ = transcript.append(db, conversation.id, "visitor", "hi", client_id="v1")
    with db.session() as orm:
        assert orm.get(Conversation, conversation.id).visitor_seen_at == entry.created_at


def test_history_and_the_turn_snapshot(db, conversation):
    entries = [("visitor", "a"), ("assistant", "b"), ("tool_call", "c"), ("visitor", "d"),
               ("visitor", "e")]  # fmt: skip
    for role, text in entries:
        transcript.append(db, conversation.id, role, text, payload={"t": text})
    with raw.reading(db) as cursor:
        entries = transcript.history(cursor, conversation.id, current_seq=4)
    assert [(e.role, e.text, e.payload) for e in entries] == [
        ("visitor", "a", {}),  # visible entries' payloads are the widget's, not the engine's
        ("assistant", "b", {}),
        ("tool_call", "c", {"t": "c"}),
    ]  # the current message and later visitor messages are left out
    row = conversation_snapshot(db, conversation.id)
    assert (row.public_id, row.status, row.turns, row.engine_state) == (
        conversation.public_id, "bot", 0, {},
    )  # fmt: skip
    assert conversation_snapshot(db, conversation.id + 999) is None


def test_save_turn_counts_tokens_per_conversation_and_per_day(db, conversation):
    site_id = conversation.site_id
    assert turn_record.save_turn(db, conversation.id, {"step": "day"}, site_id=site_id,
                                tokens=(100, 20)) == "bot"  # fmt: skip
    turn_record.save_turn(db, conversation.id, {"step": "time"}, site_id=site_id, tokens=(5, 1))
    turn_record.save_turn(db, conversation.id, {}, site_id=site_id, tokens=(0, 0))
    row = conversation_snapshot(db, conversation.id)
    assert (row.turns, row.engine_state) == (3, {})
    with db.session() as orm:
        stored = orm.get(Conversation, conversation.id)
        days = orm.scalars(select(TokenUsage)).all()
    assert (stored.prompt_tokens, stored.completion_tokens) == (105, 21)
    assert [(d.day, d.prompt_tokens, d.completion_tokens) for d in days] == [
        (usage.usage_day(), 105, 21)
    ]
    assert usage.tokens_used_today(db, site_id) == 126
    assert usage.tokens_used_today(db, site_id + 1) == 0


def test_a_sites_day_sums_every_conversations_tokens(db, site):
    """A day is counted in several rows on PostgreSQL (one per conversation's shard); the
    budget reads their sum."""
    ids = [conversation_store.open_conversation(db, site.id, f"v-{n}", None, HELLO).id
           for n in range(3)]  # fmt: skip
    for n, conversation_id in enumerate(ids):
        turn_record.save_turn(db, conversation_id, {}, site_id=site.id, tokens=(10 * n + 1, 2))
    assert usage.tokens_used_today(db, site.id) == 1 + 11 + 21 + 3 * 2
    with db.session() as orm:
        rows = orm.scalars(select(TokenUsage)).all()
    shards = {usage.shard_of(i) for i in ids} if not db.is_sqlite else {0}
    assert {row.shard for row in rows} == shards and len(shards) == (1 if db.is_sqlite else 3)


def test_a_turns_tokens_do_not_wait_for_another_conversations_commit(db, site):
    """The day's row lock lasts until the commit's WAL flush: with one row per site and day,
    every turn of the site waited for the one before it. Another conversation's turn must
    not wait for a transaction holding this conversation's share of the day."""
    if db.is_sqlite:
        pytest.skip("SQLite has one writer at a time: its turns add to one row")
    first, second = (conversation_store.open_conversation(db, site.id, f"v-{n}", None, HELLO).id
                     for n in range(2))  # fmt: skip
    assert usage.shard_of(first) != usage.shard_of(second)
    turn_record.save_turn(db, first, {}, site_id=site.id, tokens=(5, 5))  # the row exists
    done = threading.Event()
    with db.engine.connect() as holder:
        holder.exec_driver_sql(
            "UPDATE token_usage SET prompt_tokens = prompt_tokens + 1 WHERE shard = %s",
            (usage.shard_of(first),),
        )  # a turn of `first` in flight: its share of the day is locked until it commits

        def other_turn() -> None:
            turn_record.save_turn(db, second, {}, site_id=site.id, tokens=(7, 1))
            done.set()

        threading.Thread(target=other_turn, daemon=True).start()
        assert done.wait(20), "a turn of another conversation waited on the day's row"
        holder.rollback()
    assert usage.tokens_used_today(db, site.id) == 10 + 8


def test_times_compare_like_the_orms(db, conversation):
    """Rows written through plain SQL sort and filter with ORM comparisons (SQLite: as text)."""
    early, _ = transcript.append(db, conversation.id, "visitor", "early")
    cutoff = early.created_at + timedelta(microseconds=1)
    late, _ = transcript.append(db, conversation.id, "visitor", "late")
    with db.session() as orm:
        before = orm.scalars(select(Message.text).where(Message.created_at < cutoff)).all()
    assert before == ["early"] and late.created_at >= cutoff
