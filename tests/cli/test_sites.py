"""`frontdesk sites add|remove`: duplicate names, real place-based zones, removal with consent."""

from __future__ import annotations

from sqlalchemy import func, select

from frontdesk.db import Database
from frontdesk.db.models import AuditEvent, Booking, Document, Service, Site, StaffUser
from frontdesk.sites import site_by_key
from tests.support.bookings import book, make_bookings
from tests.support.cli_runs import run
from tests.support.factories import add_knowledge, make_site
from tests.support.staff_accounts import make_staff


def _key(added_stdout: str) -> str:
    return added_stdout.split("with key ")[1].split()[0]


def test_a_duplicate_name_is_refused_unless_forced(cli_env, sqlite_url):
    first = run(["sites", "add", "Acme Dental", "--timezone", "Europe/Paris"], cli_env)
    again = run(["sites", "add", " acme dental ", "--timezone", "UTC"], cli_env, check=False)
    assert again.returncode == 1
    assert f"A site named 'Acme Dental' already exists (key {_key(first.stdout)})" in again.stderr
    assert "--force" in again.stderr
    forced = run(["sites", "add", "Acme Dental", "--timezone", "UTC", "--force"], cli_env)
    assert _key(forced.stdout) != _key(first.stdout)
    db = Database(sqlite_url)
    with db.session() as session:
        names = session.scalars(select(Site.name).where(Site.name == "Acme Dental")).all()
    db.dispose()
    assert names == ["Acme Dental", "Acme Dental"]


def test_zones_that_name_no_place_are_refused_with_the_one_meant(cli_env):
    refused = run(["sites", "add", "Clinic", "--timezone", "EST"], cli_env, check=False)
    assert refused.returncode == 1
    assert "'EST' is an abbreviation, offset or alias" in refused.stderr
    assert "Did you mean America/New_York?" in refused.stderr
    offset = run(["sites", "add", "Clinic", "--timezone", "Etc/GMT+5"], cli_env, check=False)
    assert offset.returncode == 1 and "not a place" in offset.stderr
    assert "America/New_York" in offset.stderr  # an example of what to use
    assert run(["sites", "list"], cli_env).stdout == ""  # nothing was created
    run(["sites", "add", "Clinic", "--timezone", "US/Eastern"], cli_env)  # a place, if old


def test_remove_asks_first_and_deletes_everything_the_site_owns(cli_env_any, database_url):
    db = Database(database_url)
    site, other = make_site(db, name="Doomed"), make_site(db, name="Kept")
    book(make_bookings(db), site)
    add_knowledge(db, site, "Prices", "https://doomed.test/prices", "Prices from 40 euros.")
    make_staff(db, site.id, "ana@doomed.test")
    make_staff(db, other.id, "ana@doomed.test")

    said_no = run(["sites", "remove", site.public_key], cli_env_any, stdin="n\n", check=False)
    assert said_no.returncode == 1 and "Aborted" in said_no.stderr
    assert "1 bookings, 0 conversations, 1 knowledge documents, 1 staff memberships" in (
        said_no.stdout
    )
    no_answer = run(["sites", "remove", site.public_key], cli_env_any, stdin="", check=False)
    assert no_answer.returncode == 1  # no terminal, no --yes: nothing happens
    with db.session() as session:
        assert site_by_key(session, site.public_key) is not None

    removed = run(["sites", "remove", site.public_key], cli_env_any, stdin="y\n")
    assert f"Removed site 'Doomed' ({site.public_key})" in removed.stdout
    with db.session() as session:
        assert site_by_key(session, site.public_key) is None
        for model in (Booking, Document, Service):
            count = select(func.count()).select_from(model).where(model.site_id == site.id)
            assert session.scalar(count) == 0, model
        # The account stays for the site it still has; the audit log keeps the removal.
        assert session.scalar(select(func.count()).select_from(StaffUser)) == 1
        event = session.scalar(select(AuditEvent).where(AuditEvent.action == "site.removed"))
        assert event.subject_id == site.public_key and event.data["bookings"] == 1
        assert site_by_key(session, other.public_key) is not None
    db.dispose()


def test_remove_with_yes_and_an_unknown_key(cli_env, sqlite_url):
    db = Database(sqlite_url)
    site = make_site(db)
    db.dispose()
    unknown = run(["sites", "remove", "fd_nope", "--yes"], cli_env, check=False)
    assert unknown.returncode == 1 and "No site with key 'fd_nope'" in unknown.stderr
    run(["sites", "remove", site.public_key, "--yes"], cli_env)
    assert site.public_key not in run(["sites", "list"], cli_env).stdout
