"""Audit events are written with what they record, so a busy database loses none (issue 13,
item 6): 3,000 tool calls and a burst of proposal decisions from real threads on SQLite."""

from __future__ import annotations

import threading

from sqlalchemy import func, select

from frontdesk.chat.hub import Hub
from frontdesk.chat.output import ChatOutput
from frontdesk.db import Database
from frontdesk.db.models import AuditEvent, Proposal
from tests.support.assistant_tools import make_tools, valid_arguments
from tests.support.factories import make_site

THREADS = 12
CALLS_PER_THREAD = 250  # 3,000 in all


def count(db: Database, action: str) -> int:
    with db.session() as session:
        return session.scalar(select(func.count()).where(AuditEvent.action == action))


def test_three_thousand_tool_events_from_racing_threads_are_all_kept(sqlite_url):
    db = Database(sqlite_url)
    site = make_site(db)
    hub = Hub()
    failures: list[BaseException] = []
    start = threading.Barrier(THREADS)

    def visitor(n: int) -> None:
        try:
            tools = make_tools(db, site, visitor_id=f"visitor-{n}")
            out = ChatOutput(db, hub, site_id=site.id, conversation_id=tools.conversation_id)
            out.record_tool(f"call_{n}", "search_knowledge", {}, None)  # a transcript too
            start.wait()
            for _call in range(CALLS_PER_THREAD):
                arguments = valid_arguments("search_knowledge")
                result = tools.call("search_knowledge", arguments)  # what the engines do
                if not result.ok:  # a busy database must not fail the tool either
                    failures.append(AssertionError(result.content))
        except BaseException as exc:  # noqa: BLE001 - reported below
            failures.append(exc)

    threads = [threading.Thread(target=visitor, args=(n,)) for n in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []
    assert count(db, "tool.search_knowledge") == THREADS * CALLS_PER_THREAD
    db.dispose()


def test_proposal_decisions_are_audited_with_the_decision(sqlite_url):
    db = Database(sqlite_url)
    site = make_site(db)
    decisions = 40
    tools = [make_tools(db, site, visitor_id=f"visitor-{n}") for n in range(decisions)]
    proposals = []
    for box in tools:
        card = box.call("propose_booking", valid_arguments("propose_booking")).card
        proposals.append(card["proposal"])
    start = threading.Barrier(decisions)

    def decide(n: int) -> None:
        start.wait()
        tools[n].decline(proposals[n])

    threads = [threading.Thread(target=decide, args=(n,)) for n in range(decisions)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    with db.session() as session:
        declined = session.scalar(select(func.count()).where(Proposal.status == "declined"))
    assert declined == decisions
    assert count(db, "proposal.declined") == decisions
    db.dispose()
