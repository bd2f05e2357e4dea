"""Load the answer-quality sets: invented businesses, their pages, and visitors' questions about them."""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from datetime import time
from pathlib import Path

DATA = Path(__file__).resolve().parents[1] / "answers" / "data"

CLASSES = (
    "price",
    "location",
    "hours",
    "policy",
    "service_info",
    "paraphrase",
    "command",
    "question_not_command",
    "context",
    "unknown",
)
# What a reply can start; "unanswered" means: say it is not known, offer a person, record it.
ACTIONS = ("book", "cancel", "reschedule", "list_bookings", "human", "unanswered")
OFFERS = ("book", "cancel", "reschedule", "list_bookings", "human")
SETUPS = ("booked",)  # the visitor has one upcoming booking, made earlier in this conversation
SPLITS = ("tuned", "heldout")
UNSEEN_PREFIX = "unseen_"


@dataclass(frozen=True)
class Service:
    """One bookable service as the business offers it."""

    slug: str
    name: str
    duration_min: int
    price_text: str
    description: str


@dataclass(frozen=True)
class Hours:
    """One opening interval on a weekday (0 = Monday), local time."""

    weekday: int
    start: time
    end: time


@dataclass(frozen=True)
class Business:
    """An invented business (or the packaged demo): what it says about itself and its pages."""

    key: str  # folder name under data/, also the prefix of its question ids
    name: str
    timezone: str
    currency: str
    profile: str
    greeting: str
    services: tuple[Service, ...]
    hours: tuple[Hours, ...]
    pages: tuple[Path, ...]  # Markdown files with title/url front matter, ready for ingest_paths

    @property
    def unseen(self) -> bool:
        """Whether the whole business is held out (none of its questions may be tuned on)."""
        return self.key.startswith(UNSEEN_PREFIX)


@dataclass(frozen=True)
class Question:
    """A visitor's message and what a good reply must do with it."""

    id: str
    business: str
    kind: str  # the `class` label, one of CLASSES
    text: str
    split: str  # "tuned" or "heldout"
    facts: tuple[tuple[str, ...], ...] = ()  # every group matched by one of its alternatives
    action: str | None = None  # the action the reply must start (or "unanswered")
    offer: str | None = None  # an action the reply should offer as a chip, not start
    setup: str | None = None
    history: tuple[str, ...] = ()  # earlier visitor messages in the same conversation


def business_keys(*, unseen: bool = False) -> list[str]:
    """The businesses with data, sorted; the wholly held-out `unseen_*` ones only if asked for."""
    keys = sorted(p.parent.name for p in DATA.glob("*/business.toml"))
    return [k for k in keys if unseen or not k.startswith(UNSEEN_PREFIX)]


def load_business(key: str) -> Business:
    """A business's profile, services, hours and page paths (the demo's come from frontdesk.demo)."""
    raw = tomllib.loads((DATA / key / "business.toml").read_text(encoding="utf-8"))
    if raw.get("source") == "demo":
        return _demo_business(key, raw)
    return Business(
        key=key,
        name=raw["name"],
        timezone=raw["timezone"],
        currency=raw.get("currency", ""),
        profile=" ".join(raw["profile"].split()),
        greeting=raw.get("greeting", ""),
        services=tuple(Service(**s) for s in raw.get("service", [])),
        hours=tuple(
            Hours(h["weekday"], time.fromisoformat(h["start"]), time.fromisoformat(h["end"]))
            for h in raw.get("hours", [])
        ),
        pages=tuple(sorted((DATA / key / "pages").glob("*.md"))),
    )


def _demo_business(key: str, raw: dict) -> Business:
    """The packaged demo, read from the module `make run` uses so the two never drift apart."""
    from frontdesk import demo

    return Business(
        key=key,
        name=raw.get("name", "Harbour & Pixel"),
        timezone=raw.get("timezone", "Australia/Sydney"),
        currency=raw.get("currency", ""),
        profile=demo.PROFILE,
        greeting="",
        services=tuple(Service(*row) for row in demo.SERVICES),
        hours=tuple(
            Hours(weekday, start, end) for weekday in range(5) for start, end in demo.WEEKDAY_HOURS
        ),
        pages=tuple(sorted(demo.CONTENT.glob("*.md"))),
    )


def load_questions(key: str, splits: tuple[str, ...] = ("tuned",)) -> list[Question]:
    """A business's questions from the given splits; held-out ones only when asked for by name."""
    files = {"tuned": "questions.toml", "heldout": "heldout.toml"}
    questions = []
    for split in splits:
        path = DATA / key / files[split]
        if not path.exists():
            continue
        for row in tomllib.loads(path.read_text(encoding="utf-8")).get("question", []):
            questions.append(_question(key, split, row))
    return questions


def _question(key: str, split: str, row: dict) -> Question:
    return Question(
        id=row["id"],
        business=key,
        kind=row["class"],
        text=row["text"],
        split=split,
        facts=tuple(tuple(group) for group in row.get("facts", [])),
        action=row.get("action"),
        offer=row.get("offer"),
        setup=row.get("setup"),
        history=tuple(row.get("history", [])),
    )


def normalise(text: str) -> str:
    """Casefolded, Markdown emphasis and curly quotes undone, whitespace collapsed: for matching."""
    text = text.replace("\u2019", "'").replace("\u2018", "'").replace("*", "").replace("`", "")
    return " ".join(text.casefold().split())


def has_facts(answer: str, facts: tuple[tuple[str, ...], ...]) -> bool:
    """Whether the answer matches every fact group (any one alternative of each, as a substring)."""
    said = normalise(answer)
    return all(any(normalise(alt) in said for alt in group) for group in facts)


def source_text(business: Business) -> str:
    """Everything the business states: pages, profile, services, and its hours in common spellings.

    A fact a question expects must occur here, so that every expected fact is fair.
    """
    parts = [page.read_text(encoding="utf-8") for page in business.pages]
    parts.append(business.profile)
    for s in business.services:
        parts.append(f"{s.name}. {s.duration_min} minutes. {s.price_text}. {s.description}")
    for h in business.hours:
        parts += [phrase for t in (h.start, h.end) for phrase in time_spellings(t)]
    return normalise("\n".join(parts))


def time_spellings(t: time) -> list[str]:
    """'9:00', '09:00', '9am', '9 am', '9:00 am' (and pm) for one clock time."""
    hour12 = t.hour % 12 or 12
    suffix = "am" if t.hour < 12 else "pm"
    clock = f"{hour12}:{t.minute:02d}"
    spellings = [f"{t.hour}:{t.minute:02d}", f"{t.hour:02d}:{t.minute:02d}", clock]
    spellings += [f"{clock} {suffix}", f"{clock}{suffix}"]
    if t.minute == 0:
        spellings += [f"{hour12} {suffix}", f"{hour12}{suffix}"]
    return spellings


def headings(page: Path) -> list[str]:
    """The Markdown headings of a page, without the leading #s."""
    return [
        re.sub(r"^#+\s*", "", line).strip()
        for line in page.read_text(encoding="utf-8").splitlines()
        if line.startswith("#")
    ]
