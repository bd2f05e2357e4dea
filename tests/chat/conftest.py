"""Chat fixtures: a live server (real sockets) on a fresh database with a site and a FakeLLM,
and a conversation opened by the chat's own store on the test's site."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from sqlalchemy import select

from frontdesk import create_app
from frontdesk.chat import conversation_store
from frontdesk.chat.runner import runner_for
from frontdesk.db import Database
from frontdesk.db.models import Conversation, Message
from tests.support.apps import app_config
from tests.support.conversations import HELLO
from tests.support.factories import make_site
from tests.support.fake_llm import FakeLLM
from tests.support.servers import LiveServer
from tests.support.ws_client import ChatClient


@dataclass
class Chat:
    """A running chat server: the app, its database, one site, the fake provider."""

    app: Any
    db: Database
    site: Any
    server: LiveServer
    llm: FakeLLM

    def client(self, **options: Any) -> ChatClient:
        """A new visitor socket to this server."""
        return ChatClient(self.server.url, self.site.public_key, **options)

    def conversation(self, public_id: str) -> Conversation:
        """The stored conversation."""
        with self.db.session() as session:
            return session.scalars(
                select(Conversation).where(Conversation.public_id == public_id)
            ).one()

    def entries(self, public_id: str, roles: tuple[str, ...] | None = None) -> list[Message]:
        """The stored transcript entries of a conversation, in seq order."""
        conversation = self.conversation(public_id)
        with self.db.session() as session:
            query = select(Message).where(Message.conversation_id == conversation.id)
            if roles:
                query = query.where(Message.role.in_(roles))
            return list(session.scalars(query.order_by(Message.seq)))

    def set_status(self, public_id: str, status: str) -> None:
        """Change a conversation's status directly in the database (no announcement)."""
        with self.db.transaction() as session:
            conversation = session.scalars(
                select(Conversation).where(Conversation.public_id == public_id)
            ).one()
            conversation.status = status

    def idle(self) -> None:
        """Wait until every queued assistant job has finished."""
        assert runner_for(self.app).wait_idle(timeout=30)


@pytest.fixture
def start_chat(new_database_url, tmp_path) -> Iterator:
    """Factory: start_chat(backend="sqlite", site={...}, inject=True, **config) -> Chat (torn
    down after). inject=False: the app builds its provider client from its configuration."""
    started: list[tuple[Chat, FakeLLM]] = []

    def start(
        backend: str = "sqlite", site: dict | None = None, inject: bool = True, **config: Any
    ) -> Chat:
        llm = FakeLLM().start()
        folder = tmp_path / f"chat{len(started)}"
        folder.mkdir()
        url = new_database_url(backend, folder)
        settings = app_config(url, folder, ENGINE="llm")
        settings.update(config)
        app = create_app(settings, llm_client=llm.client() if inject else None)
        db = app.extensions["frontdesk.db"]
        chat = Chat(app, db, make_site(db, **(site or {})), LiveServer(app).start(), llm)
        started.append((chat, llm))
        return chat

    yield start
    for chat, llm in started:
        chat.server.stop()
        runner_for(chat.app).wait_idle(timeout=10)
        llm.stop()
        chat.db.dispose()


@pytest.fixture
def chat(start_chat) -> Chat:
    """A chat server on SQLite with default limits."""
    return start_chat()


@pytest.fixture
def conversation(db, site):
    """A conversation of "visitor-1" on the test's site, opened by the chat's store."""
    return conversation_store.open_conversation(db, site.id, "visitor-1", None, HELLO)
