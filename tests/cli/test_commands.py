"""The `frontdesk` command (its `main`, in this process) against a real database."""

from __future__ import annotations

from datetime import time

from sqlalchemy import func, select

from frontdesk.booking.hosts import service_hosts, site_hosts
from frontdesk.db import Database
from frontdesk.db.models import Document, Service, Site, StaffUser
from frontdesk.demo import DEMO_KEY, DEMO_STAFF_EMAIL
from tests.support.cli_runs import run


def test_sites_add_list_and_staff_add(cli_env_any, database_url):
    run(["db", "upgrade"], cli_env_any)
    added = run(
        [
            "sites",
            "add",
            "Acme Dental",
            "--timezone",
            "Europe/Paris",
            "--origin",
            "https://acme.test/",
        ],
        cli_env_any,
    )
    assert 'src="https://chat.example.test/widget.js"' in added.stdout
    listing = run(["sites", "list"], cli_env_any).stdout
    assert "Acme Dental" in listing and "Europe/Paris" in listing and "https://acme.test" in listing
    key = listing.split("\t")[0].strip()
    run(
        ["staff", "add", "ana@acme.test", "--site", key, "--password", "a long passphrase"],
        cli_env_any,
    )
    db = Database(database_url)
    with db.session() as session:
        user = session.scalar(select(StaffUser).where(StaffUser.email == "ana@acme.test"))
        assert user is not None and user.password_hash.startswith("$argon2")
    db.dispose()


def test_bad_cli_input_is_refused_clearly(cli_env):
    run(["db", "upgrade"], cli_env)
    bad_zone = run(["sites", "add", "X", "--timezone", "Mars/Base"], cli_env, check=False)
    assert bad_zone.returncode != 0 and "Unknown time zone 'Mars/Base'" in bad_zone.stderr
    bad_origin = run(
        ["sites", "add", "X", "--timezone", "UTC", "--origin", "acme.test/path"],
        cli_env,
        check=False,
    )
    assert bad_origin.returncode != 0 and "not an origin" in bad_origin.stderr
    no_site = run(
        ["staff", "add", "a@b.test", "--site", "nope", "--password", "long enough pw"],
        cli_env,
        check=False,
    )
    assert no_site.returncode != 0 and "No site" in no_site.stderr
    short = run(["sites", "add", "Y", "--timezone", "UTC"], cli_env)
    key = short.stdout.split("key ")[1].split()[0]
    weak = run(
        ["staff", "add", "a@b.test", "--site", key, "--password", "short"], cli_env, check=False
    )
    assert weak.returncode != 0 and "at least 10" in weak.stderr


def test_demo_creates_the_sample_business_and_is_repeatable(cli_env_any, database_url):
    first = run(["demo"], cli_env_any).stdout
    assert DEMO_STAFF_EMAIL in first and f'data-site="{DEMO_KEY}"' in first
    # Which engine answers the demo, and how to switch (no provider in this environment).
    assert "Assistant:     the offline engine (built in, no LLM)" in first
    assert "For a model: OPENAI_API_KEY=sk-... make run" in first
    run(["demo"], cli_env_any)  # a second run updates in place
    db = Database(database_url)
    with db.session() as session:
        site = session.scalar(select(Site).where(Site.public_key == DEMO_KEY))
        assert site.timezone == "Australia/Sydney"
        slugs = set(session.scalars(select(Service.slug).where(Service.site_id == site.id)))
        assert slugs == {"website-build", "ai-integration", "virtual-tour"}
        assert len(site.opening_hours) == 10
        documents = session.scalar(select(func.count()).where(Document.site_id == site.id))
        assert documents == 5
        assert session.scalar(select(func.count()).select_from(StaffUser)) == 1
        # A team of people with names of their own, not one person named after the business.
        team = {host.name: host for host in site_hosts(session, site.id)}
        assert list(team) == ["Mia Chen", "Priya Nair", "Tom Walker"]
        staff = session.scalars(select(StaffUser)).one()
        assert staff.name == "Mia Chen" and team["Mia Chen"].staff_id == staff.id
        assert [(h.weekday, h.start_time, h.end_time) for h in team["Tom Walker"].weekly_hours] == [
            (day, time(10), time(16)) for day in (1, 2, 3)
        ]
        offered = {
            service.slug: [host.name for host in service_hosts(session, service)]
            for service in session.scalars(select(Service).where(Service.site_id == site.id))
        }
        assert offered == {
            "website-build": ["Mia Chen"],
            "ai-integration": ["Mia Chen", "Priya Nair"],
            "virtual-tour": ["Tom Walker"],
        }
    db.dispose()
