"""The contract between the chat session, the assistant engines and the tools.

Data flows one way: chat session -> Engine.respond(turn) -> turn.tools -> booking / knowledge.
Engines never touch the socket or the database directly: they speak through `turn.out`.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol


@dataclass(frozen=True)
class Source:
    """A knowledge-base page an answer cites."""

    title: str
    url: str


@dataclass(frozen=True)
class Choice:
    """A quick-reply chip. action "reply" sends `value` as the visitor's next message."""

    label: str
    action: str
    value: str
    group: str = ""  # chips of one group (a day of times) are shown together under it
    # What pressing it says, in the visitor's language, when `value` (the engines' English
    # form) is not that: shown as the visitor's message in its place.
    text: str = ""


@dataclass
class ToolResult:
    """What a tool returns: `content` goes to the model (JSON), the rest to the widget."""

    content: dict[str, Any]
    ok: bool = True
    card: dict[str, Any] | None = None
    sources: list[Source] = field(default_factory=list)
    choices: list[Choice] = field(default_factory=list)
    # A write the tool leaves to the transaction that records its call (the toolbox's audit),
    # given that transaction's session: one write transaction a call instead of two.
    write: Callable[[Any], None] | None = field(default=None, repr=False, compare=False)


class ToolBox(Protocol):
    """The eight tools, bound to one conversation and its visitor. `sends_email`: whether this
    server e-mails confirmations (SMTP configured); without it no engine may promise one."""

    sends_email: bool

    def specs(self) -> list[dict[str, Any]]:
        """OpenAI `tools` entries (strict JSON schemas)."""
        ...

    def call(self, name: str, arguments: dict[str, Any]) -> ToolResult:
        """Validate and run one tool; invalid input returns ok=False with an explanation."""
        ...


class StatusChanger(Protocol):
    """Changes the conversation's status; given to the tools by the chat (chat.status).

    The assistant never writes a status itself: the chat's one function writes it with its audit
    event and tells the sockets and the staff.
    """

    def __call__(self, status: str, *, only_from: Collection[str] | None = None) -> str:
        """Set `status` unless the current one is not in `only_from`; returns the status now."""
        ...


class Output(Protocol):
    """How an engine talks to the visitor; implemented by the chat session."""

    def typing(self) -> None:
        """Show the typing indicator."""
        ...

    def delta(self, reply_id: str, text: str) -> None:
        """Stream a piece of the reply being written."""
        ...

    def discard(self, reply_id: str) -> None:
        """Withdraw what was streamed of a reply (its stream broke; it will not be finished)."""
        ...

    def message(
        self,
        text: str,
        *,
        reply_id: str | None = None,
        sources: list[Source] | None = None,
        choices: list[Choice] | None = None,
        card: dict[str, Any] | None = None,
        role: str = "assistant",
    ) -> None:
        """Persist and send a complete message (ends a streamed reply when reply_id is given)."""
        ...

    def record_tool(
        self, call_id: str, name: str, arguments: Any, result: ToolResult | None, error: str = ""
    ) -> None:
        """Persist a tool call and its result (and audit it)."""
        ...

    def record_usage(self, prompt_tokens: int, completion_tokens: int) -> None:
        """Add provider token usage to the conversation and the site's daily total (saved with
        the turn)."""
        ...


# Not frozen: a frozen dataclass sets each field through object.__setattr__, ~2 µs per
# entry, and a turn builds up to 30 of them on the path to the first words. Treat as read-only.
@dataclass(slots=True)
class HistoryEntry:
    """One earlier transcript entry as the engines see it."""

    role: str  # visitor / assistant / staff / system / tool_call / tool_result
    text: str
    payload: dict[str, Any] = field(default_factory=dict)


@dataclass
class Turn:
    """Everything an engine needs for one visitor turn."""

    site: Any  # frontdesk.db.models.Site (detached, loaded with services and hours)
    conversation_id: int
    visitor_id: str
    visitor_tz: str
    page: dict[str, str]
    now: datetime
    text: str  # the visitor's message (or the chosen chip's value)
    history: list[HistoryEntry]
    state: dict[str, Any]  # engine-private state persisted on the conversation between turns
    tools: ToolBox
    out: Output
    lang: str = "en"
    deadline: float | None = None  # time.monotonic() by which the turn must have answered


class Engine(Protocol):
    """An assistant engine: the LLM engine or the offline engine."""

    name: str

    def respond(self, turn: Turn) -> None:
        """Answer one visitor turn through turn.out; must always end with turn.out.message()."""
        ...
