"""The jobs the runner executes for a conversation: assistant turns and card actions."""

from __future__ import annotations

import logging
import secrets
import time
from dataclasses import dataclass
from typing import Any

from flask import Flask
from sqlalchemy import select

from frontdesk import i18n
from frontdesk.assistant.base import Turn
from frontdesk.audit import Actor
from frontdesk.chat import budgets, conversation_store, moderation, site_cache, transcript, usage
from frontdesk.chat.hub import hub_for
from frontdesk.chat.output import ChatOutput
from frontdesk.chat.protocol import booking_event, flagged_event
from frontdesk.chat.status import SILENT, complete_silently, status_changer
from frontdesk.db import batch, raw
from frontdesk.db.models import Proposal
from frontdesk.db.types import utcnow

log = logging.getLogger(__name__)

# The turn's own notes to the visitor, in their language (frontdesk.i18n strings).
REFUSAL, APOLOGY, BUDGET_TEXT = "refusal", "apology", "budgetSpent"
# What pressing a card's second button says for the visitor, in their language; the offline
# engine reads the other languages' words as the English ones (i18n.english_equivalent).
CHANGE_TEXT = "changeValue"
KEEP_TEXT = "keepValue"  # "Keep booking" on a cancellation card


def change_text(db, proposal_public_id: str, lang: str | None = None) -> str:
    """What the visitor said by pressing a card's second button: keep the booking (on a
    cancellation card) or change what was proposed."""
    with db.session() as session:
        kind = session.scalar(select(Proposal.kind).where(Proposal.public_id == proposal_public_id))
    return i18n.text(lang, KEEP_TEXT if kind == "cancel" else CHANGE_TEXT)


# What a Confirm press says, in the visitor's language (frontdesk.i18n strings).
RESULT_TEXT = {"booked": "booked", "rescheduled": "rescheduled", "cancelled": "cancelled"}


@dataclass
class Job:
    """What the chat session hands the runner: the conversation and the visitor's input."""

    app: Flask
    conversation_id: int
    seq: int  # seq of the visitor entry (history is what came before it)
    text: str  # the visitor's text as written (the stored copy may be redacted)
    message_id: int | None = None
    decline: str | None = None  # proposal to drop first ("change" action)
    deadline: float | None = None  # time.monotonic() by which the turn answers (TURN_DEADLINE)
    ip: str = ""  # the visitor's address (its share of the token budget)
    # Several processes: another may have answered while this job waited for the turn lease.
    only_if_pending: bool = False


class Context:
    """The conversation, its site, tools and output, loaded fresh for one job.

    With `history_for` (a visitor entry's seq), the history the engine needs for that entry is
    read too, and with `pending_of` (an entry's id) whether its work is still unfinished
    (`pending`): all in one round trip (frontdesk.db.batch).
    """

    def __init__(
        self, app: Flask, conversation_id: int, *, history_for: int | None = None,
        pending_of: int | None = None,
    ) -> None:  # fmt: skip
        self.app = app
        self.db = app.extensions["frontdesk.db"]
        self.hub = hub_for(app)
        queries = [conversation_store.conversation_query(conversation_id)]
        if history_for is not None:
            queries.append(transcript.history_query(conversation_id, history_for))
        if pending_of is not None:
            queries.append(transcript.pending_query(pending_of))
        with raw.reading(self.db) as cursor:
            results = batch.read_all(cursor, queries)
        self.conversation = conversation_store.conversation_of(results[0])
        self.history = [] if history_for is None else transcript.history_of(results[1])
        self.pending = True if pending_of is None else transcript.pending_of(results[-1])
        self.site = site_cache.cached_site(
            self.db, self.conversation.site_id, self.conversation.site_version
        )
        self.out = ChatOutput(
            self.db, self.hub, site_id=self.site.id, conversation_id=conversation_id
        )

    def tools(self) -> Any:
        """The conversation's ToolBox (bound to its visitor; status changes go through chat.status)."""
        from frontdesk.assistant.tools.toolbox import ConversationTools

        conversation_id = self.conversation.id
        assistant = Actor("assistant", conversation_id=conversation_id)
        return ConversationTools(
            self.db, self.app.extensions["frontdesk.bookings"], self.site,
            conversation_id=conversation_id, visitor_id=self.conversation.visitor_id,
            visitor_tz=self.conversation.visitor_tz, lang=self.conversation.lang or "en",
            change_status=status_changer(self.db, self.hub, conversation_id, assistant),
            public_id=self.conversation.public_id,
        )  # fmt: skip

    def llm_client(self) -> Any:
        """The app's injected provider client, or the configured one, or None."""
        client = self.app.extensions.get("frontdesk.llm_client")
        if client is not None:
            return client
        from frontdesk.assistant.llm.provider import (
            llm_settings,
            provider_configured,
            shared_client,
        )

        settings = llm_settings(self.site, self.app.config)
        try:
            return shared_client(settings) if provider_configured(settings) else None
        except ValueError:  # BlockedURL: a refused site-chosen provider address; none, then
            return None


def answer(job: Job) -> None:
    """Moderate the visitor's message, then let the engine answer it (unless staff handle it)."""
    seconds = float(job.app.config.get("TURN_DEADLINE") or 0)  # 0: no deadline
    job.deadline = time.monotonic() + seconds if seconds > 0 else None
    pending_of = job.message_id if job.only_if_pending else None
    ctx = Context(job.app, job.conversation_id, history_for=job.seq, pending_of=pending_of)
    if not ctx.pending:
        return  # another process answered it while this job waited for the turn lease
    # The message's acked work is done with the write that answers it (chat.work): the turn's
    # last write, or the one message a refusal, a limit or a failure posts.
    ctx.out.completes, ctx.out.complete_on_post = job.message_id, True
    try:
        _answer(ctx, job)
    except Exception:
        log.exception("chat turn failed in conversation %s", ctx.conversation.public_id)
        _apologise(ctx)
    _finish_unanswered(ctx)


def _finish_unanswered(ctx: Context) -> None:
    """Nothing was posted (staff are answering): the message's work is done all the same,
    unless the chat was handed back meanwhile; then the hand-back's resume answers it."""
    done, ctx.out.completes = ctx.out.completes, None
    if done is not None and not complete_silently(ctx.db, done, ctx.conversation.id):
        log.info("conversation %s was handed back during a silent turn", ctx.conversation.public_id)


def _apologise(ctx: Context) -> None:
    """Tell the visitor the turn failed; the socket stays open."""
    ctx.out.post("system", i18n.text(ctx.conversation.lang, APOLOGY))
    ctx.out.error("internal", "the assistant failed to answer")


def _answer(ctx: Context, job: Job) -> None:
    verdict = _moderate(ctx, job.text)
    if verdict.flagged:
        _flagged(ctx, job, verdict)
        return
    if job.decline:
        _decline(ctx, job.decline)
    if ctx.conversation.status in SILENT:
        return  # a person is answering: the bot stays silent
    if not _within_limits(ctx):
        return
    _run_engine(ctx, job, offline=_llm_spent(ctx, job))


def _moderate(ctx: Context, text: str) -> moderation.Verdict:
    mode = moderation.settings(ctx.site)["mode"]
    if mode == "off":
        return moderation.Verdict(False, [], "off")
    client = ctx.llm_client() if mode == "provider" else None
    return moderation.check(ctx.site, text, client)


def _flagged(ctx: Context, job: Job, verdict: moderation.Verdict) -> None:
    conversation_store.flag(ctx.db, ctx.conversation.id, job.message_id)
    ctx.hub.publish_site(
        ctx.site.id, flagged_event(ctx.conversation.public_id, job.seq, verdict.reasons)
    )
    if ctx.conversation.status not in SILENT:
        ctx.out.post("assistant", i18n.text(ctx.conversation.lang, REFUSAL), {"moderated": True})


def _decline(ctx: Context, proposal_id: str) -> None:
    call_id = "act_" + secrets.token_hex(6)
    result = ctx.tools().decline(proposal_id)
    ctx.out.record_tool(call_id, "decline", {"proposal": proposal_id}, result)


def _within_limits(ctx: Context) -> bool:
    max_turns = int(ctx.app.config.get("MAX_TURNS_PER_CONVERSATION") or 0)  # 0: no limit
    if max_turns <= 0 or ctx.conversation.turns < max_turns:
        return True
    ctx.out.post("system", i18n.text(ctx.conversation.lang, BUDGET_TEXT))
    ctx.out.error("budget_exhausted", "conversation turn limit reached")
    return False


def _llm_spent(ctx: Context, job: Job) -> bool:
    """Whether a token budget (the site's, or this visitor's or address's share) is spent: the
    offline engine answers then, so one visitor cannot silence the assistant for everyone."""
    if budgets.site_budget(ctx.site, ctx.app.config) <= 0:
        return False
    used = usage.tokens_used_today(ctx.db, ctx.site.id)
    reason = budgets.spent_reason(ctx.app, ctx.site, ctx.conversation.visitor_id, job.ip, used)
    if reason:
        log.info("conversation %s: %s is spent; offline engine", ctx.conversation.public_id, reason)
    return reason is not None


def _run_engine(ctx: Context, job: Job, *, offline: bool = False) -> None:
    from frontdesk.assistant.select import engine_for

    conversation = ctx.conversation
    turn = Turn(
        site=ctx.site, conversation_id=conversation.id, visitor_id=conversation.visitor_id,
        visitor_tz=conversation.visitor_tz,
        page={"url": conversation.page_url, "title": conversation.page_title},
        now=utcnow(), text=job.text, history=ctx.history,
        state=dict(conversation.engine_state or {}), tools=ctx.tools(), out=ctx.out,
        lang=conversation.lang, deadline=job.deadline,
    )  # fmt: skip
    ctx.out.complete_on_post = False  # an engine may post several: the turn's last write says
    ctx.out.begin_turn()  # the last message is stored with the turn's state (one write)
    try:
        if offline:
            engine = engine_for(ctx.site, {"ENGINE": "offline"})
        else:
            engine = engine_for(ctx.site, ctx.app.config, llm_client=ctx.llm_client())
        engine.respond(turn)
    except Exception:
        log.exception("assistant engine failed in conversation %s", conversation.public_id)
        _apologise(ctx)
    else:
        if ctx.out.messages_sent == 0:  # an engine must end with a message; never leave silence
            log.error("engine %s ended a turn without a message", getattr(engine, "name", "?"))
            ctx.out.post("system", i18n.text(ctx.conversation.lang, APOLOGY))
    spent = ctx.out.prompt_tokens + ctx.out.completion_tokens
    budgets.ledger(ctx.app).add(ctx.site.id, conversation.visitor_id, job.ip, spent)
    ctx.out.finish_turn(turn.state)


def confirm(
    app: Flask, conversation_id: int, proposal_id: str, action_id: str, call_id: int | None = None
) -> None:
    """The visitor pressed Confirm (already stored as a tool_call, entry `call_id`): commit,
    show the card. Run again after a crash, the proposal's idempotency gives the same result."""
    ctx = Context(app, conversation_id)
    ctx.out.completes, ctx.out.complete_on_post = call_id, True  # done with the result message
    try:
        result = ctx.tools().confirm(proposal_id)
        ctx.out.record_result(action_id, "confirm", result)
        text = _result_text(result, ctx.conversation.lang)
        ctx.out.message(text, card=result.card, choices=result.choices)
        # A booking made, moved or cancelled changes the conversation's row in the inbox
        # ("Booked", "Booking cancelled"): the dashboard's list is told, as for a message.
        ctx.hub.publish_site(ctx.site.id, booking_event(ctx.conversation.public_id))
    except Exception:
        log.exception("confirm failed in conversation %s", ctx.conversation.public_id)
        _apologise(ctx)


def _result_text(result: Any, lang: str | None) -> str:
    content = result.content or {}
    if not result.ok:
        return str(content.get("error") or i18n.text(lang, "notDone"))
    name = RESULT_TEXT.get(content.get("status"), "done")
    text = i18n.text(lang, name, when=str(content.get("when", "")))
    if content.get("status") == "booked":  # an e-mail is promised only when one was queued
        text += " " + i18n.text(lang, "emailed" if content.get("emailed") else "notEmailed")
    return text
