"""The demo business, "Harbour & Pixel", a Sydney web agency; re-running updates it in place."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, time
from pathlib import Path

from argon2 import PasswordHasher
from sqlalchemy import select

from frontdesk.booking.hosts import add_site_host, new_host, site_hosts
from frontdesk.db import Database
from frontdesk.db.models import DateOverride, HostHours, OpeningHours, Service, ServiceHost, Site
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
class Member:
    """One person of the demo team: who they are, what they meet visitors for, and when."""

    name: str
    email: str
    services: tuple[str, ...]  # service slugs
    hours: tuple[tuple[int, time, time], ...]  # (weekday, from, until); none: the site's hours


# The staff login is Mia's: the dashboard's "Reply as" and the visitor's "… has joined the
# chat" show a person, and her calendar page is her own.
TEAM = (
    Member("Mia Chen", "mia@harbourpixel.test", ("website-build", "ai-integration"), ()),
    Member(
        "Priya Nair", "priya@harbourpixel.test", ("ai-integration",),
        tuple((day, time(9, 30), time(15)) for day in (0, 2, 4)),
    ),
    Member(
        "Tom Walker", "tom@harbourpixel.test", ("virtual-tour",),
        tuple((day, time(10), time(16)) for day in (1, 2, 3)),
    ),
)  # fmt: skip


@dataclass(frozen=True)
class DemoInfo:
    """What `frontdesk demo` prints."""

    site_key: str
    staff_email: str
    staff_password: str
    documents: int


def create_demo(
    db: Database, *, instance_path: str, demo_host_url: str, hasher: PasswordHasher
) -> DemoInfo:
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
        staff = add_staff(session, DEMO_STAFF_EMAIL, DEMO_STAFF_PASSWORD, site.id, hasher=hasher)
        staff.name = TEAM[0].name
        _set_team(session, site, staff.id)
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


def _set_team(session, site: Site, staff_id: int) -> None:
    """The team as hosts, with their hours and services; the host a new site starts with
    (named after the business) becomes the first member."""
    hosts = {host.name: host for host in site_hosts(session, site.id, active_only=False)}
    if TEAM[0].name not in hosts and site.name in hosts:
        hosts[TEAM[0].name] = hosts.pop(site.name)
    services = {
        s.slug: s for s in session.scalars(select(Service).where(Service.site_id == site.id))
    }
    for service in services.values():
        service.host_links.clear()
    session.flush()
    for member in TEAM:
        host = hosts.get(member.name) or new_host(member.name, timezone=site.timezone)
        host.name, host.email, host.active = member.name, member.email, True
        host.weekly_hours = [
            HostHours(weekday=d, start_time=a, end_time=b) for d, a, b in member.hours
        ]
        if member is TEAM[0]:
            host.staff_id = staff_id
        add_site_host(session, site, host)
        for slug in member.services:
            links = services[slug].host_links
            links.append(ServiceHost(host_id=host.id, position=len(links)))
    session.flush()


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
