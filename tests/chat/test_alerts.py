"""The business is e-mailed when a visitor asks for a person or a message is flagged: through
the outbox, in the change's own transaction, sent by the mailer's worker to a real SMTP server."""

from __future__ import annotations

import time
from email import message_from_bytes, policy

import pytest
from sqlalchemy import select, update

from frontdesk import create_app
from frontdesk.audit import Actor
from frontdesk.chat import conversation_store
from frontdesk.chat.hub import hub_for
from frontdesk.chat.status import change_status
from frontdesk.db.models import Conversation, OutboxEmail
from tests.support.apps import app_config
from tests.support.conversations import make_conversation
from tests.support.factories import make_site
from tests.support.servers import free_port
from tests.support.smtp_servers import SmtpServer


@pytest.fixture
def smtp_server():
    server = SmtpServer(free_port()).start()
    yield server
    server.stop()


@pytest.fixture
def mailing_app(database_url, tmp_path, smtp_server):
    config = app_config(
        database_url, tmp_path, SMTP_URL=f"smtp://127.0.0.1:{smtp_server.port}",
        MAIL_WORKER=True, PUBLIC_URL="https://desk.example",
    )  # fmt: skip
    app = create_app(config)
    yield app
    app.extensions["frontdesk.mailer"].stop()
    app.extensions["frontdesk.db"].dispose()


def outbox(db) -> list[OutboxEmail]:
    with db.session() as session:
        return list(session.scalars(select(OutboxEmail)))


def test_asking_for_a_person_emails_the_business_once(mailing_app, smtp_server):
    db = mailing_app.extensions["frontdesk.db"]
    site = make_site(db, name="Harbour", notification_email="owner@harbour.test")
    conversation = make_conversation(db, site, texts=[("visitor", "Can someone call me back?")])
    with db.transaction() as session:
        session.execute(
            update(Conversation)
            .where(Conversation.id == conversation.id)
            .values(contact_name="Grace Hopper", contact_email="grace@navy.test")
        )
    with mailing_app.app_context():
        for _ in range(2):  # the second request changes nothing, so it mails nothing
            change_status(db, hub_for(mailing_app), conversation.id, "needs_human",
                          actor=Actor("visitor"), only_from=("bot",))  # fmt: skip
    assert smtp_server.inbox.arrived.wait(20), "the alert was not sent"
    deadline = time.monotonic() + 20
    while outbox(db)[0].sent_at is None and time.monotonic() < deadline:
        time.sleep(0.05)  # the worker records the send just after the server took it
    [row] = outbox(db)
    assert row.recipient == "owner@harbour.test" and row.sent_at is not None
    message = message_from_bytes(row.message, policy=policy.default)
    assert message["Subject"] == "Grace Hopper asks for a person - Harbour"
    assert message["Reply-To"] == "grace@navy.test"
    text = message.get_body(preferencelist=("plain",)).get_content()
    assert "> Can someone call me back?" in text
    assert (
        f"https://desk.example/staff/{site.public_key}/conversations/{conversation.public_id}"
        in text
    )


def test_a_flagged_conversation_emails_once_and_no_address_means_no_mail(mailing_app):
    db = mailing_app.extensions["frontdesk.db"]
    site = make_site(db, notification_email="owner@studio.test")
    quiet = make_site(db, notification_email=None)
    conversation = make_conversation(db, site, texts=[("visitor", "rude words")])
    other = make_conversation(db, quiet, texts=[("visitor", "rude words")])
    with mailing_app.app_context():
        conversation_store.flag(db, conversation.id, None)
        conversation_store.flag(db, conversation.id, None)
        conversation_store.flag(db, other.id, None)
        change_status(db, hub_for(mailing_app), other.id, "needs_human", actor=Actor("system"))
    rows = outbox(db)
    assert [r.recipient for r in rows] == ["owner@studio.test"]
    assert rows[0].subject.startswith("A message was flagged in a chat with a visitor")


def test_without_smtp_nothing_is_queued(app, db, site):
    conversation = make_conversation(db, site, texts=[("visitor", "help")])
    with app.app_context():
        change_status(db, hub_for(app), conversation.id, "needs_human", actor=Actor("system"))
    assert outbox(db) == []
