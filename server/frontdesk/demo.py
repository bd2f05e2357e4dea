"""The demo business, "Harbour & Pixel", a Sydney web agency; re-running updates it in place."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, time
from pathlib import Path

from sqlalchemy import select

from frontdesk.db import Database
from frontdesk.db.models import DateOverride, OpeningHours, Service, Site
from frontdesk.sites import create_site, site_by_key
from frontdesk.staff.accounts import add_staff

DEMO_KEY = "hp_demo"
DEMO_STAFF_EMAIL = "staff@harbourpixel.test"
DEMO_STAFF_PASSWORD = "harbour-demo-2026"  # printed by `make run`; for the local demo only
CONTENT = Path(__file__).parent / "demo_content"

PROFILE = (
    "Harbour & Pixel is a small web studio in Pyrmont, Sydney. We build fast, accessible websites "
    "for small businesses, add practical AI to their daily work, and shoot 360° virtual tours. "
    "All consultations are free video calls."
)

SERVICES = [
    (
        "website-build",
        "Website build consultation",
        45,
        "Free",
        "Talk through your goals and current site; leave with a written recommendation and a fixed quote.",
    ),
    (
        "ai-integration",
        "AI integration consultation",
        30,
        "Free",
        "Discuss one or two tasks you'd like to automate and whether AI is the right tool for them.",
    ),
    (
        "virtual-tour",
        "Virtual tour consultation",
        30,
        "Free",
        "Go through your space and scene list; get a fixed quote and a shoot date.",
    ),
]

WEEKDAY_HOURS = [(time(9, 0), time(12, 30)), (time(13, 30), time(17, 30))]


@dataclass(frozen=True)
class DemoInfo:
    """What `frontdesk demo` prints."""

    site_key: str
    staff_email: str
    staff_password: str
    documents: int


def create_demo(db: Database, *, instance_path: str, demo_host_url: str) -> DemoInfo:
    """Create or refresh the demo site, its services, hours, staff login and knowledge base."""
    with db.transaction() as session:
        site = site_by_key(session, DEMO_KEY) or create_site(
            session,
            name="Harbour & Pixel",
            timezone="Australia/Sydney",
            origins=[],
            public_key=DEMO_KEY,
        )
        _describe(site, demo_host_url)
        _set_services(session, site)
        _set_hours(site)
        add_staff(session, DEMO_STAFF_EMAIL, DEMO_STAFF_PASSWORD, site.id, name="Demo Staff")
        site_id = site.id
    documents = _ingest_content(db, site_id, Path(instance_path) / "demo_content", demo_host_url)
    return DemoInfo(DEMO_KEY, DEMO_STAFF_EMAIL, DEMO_STAFF_PASSWORD, documents)


def _describe(site: Site, demo_host_url: str) -> None:
    host = demo_host_url.rstrip("/")
    site.allowed_origins = sorted({host, host.replace("127.0.0.1", "localhost")})
    site.profile = PROFILE
    site.greeting = (
        "Hi! I'm the Harbour & Pixel assistant. Ask me about websites, AI integration or "
        "virtual tours — or book a free consultation."
    )
    site.notification_email = "hello@harbourpixel.test"
    site.appearance = {"accent": "#0b5c66", "title": "Harbour & Pixel", "launcher": "Chat with us"}
    site.buffer_before_min = 0
    site.buffer_after_min = 15
    site.min_notice_min = 120
    site.max_days_ahead = 60
    site.slot_step_min = 30


def _set_services(session, site: Site) -> None:
    existing = {
        s.slug: s for s in session.scalars(select(Service).where(Service.site_id == site.id))
    }
    for position, (slug, name, minutes, price, description) in enumerate(SERVICES):
        service = existing.get(slug) or Service(site_id=site.id, slug=slug)
        service.name, service.duration_min, service.price_text = name, minutes, price
        service.description, service.position, service.active = description, position, True
        session.add(service)


def _set_hours(site: Site) -> None:
    site.opening_hours = [
        OpeningHours(weekday=weekday, start_time=start, end_time=end)
        for weekday in range(5)
        for start, end in WEEKDAY_HOURS
    ]
    site.date_overrides = [
        DateOverride(day=day, note="Closed for the holidays") for day in _holiday_closures()
    ]


def _holiday_closures() -> list[date]:
    """Christmas to New Year (inclusive) for this year and next."""
    this_year = date.today().year
    days = []
    for year in (this_year, this_year + 1):
        days += [date(year, 12, d) for d in range(24, 32)] + [date(year + 1, 1, 1)]
    return sorted(set(days))


def _ingest_content(db: Database, site_id: int, folder: Path, demo_host_url: str) -> int:
    """Write the demo pages with their real links into the instance folder and ingest them."""
    from frontdesk.knowledge.ingest import ingest_paths

    folder.mkdir(parents=True, exist_ok=True)
    for page in sorted(CONTENT.glob("*.md")):
        text = page.read_text().replace("DEMO_HOST", demo_host_url.rstrip("/"))
        target = folder / page.name
        if not target.exists() or target.read_text() != text:
            target.write_text(text)
    ingest_paths(db, site_id, [str(folder)])
    return len(list(folder.glob("*.md")))
