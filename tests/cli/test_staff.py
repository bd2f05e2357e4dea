"""`frontdesk staff add`: the site is checked before any password is asked for, and an existing
account's password changes only with --reset-password."""

from __future__ import annotations

from sqlalchemy import select

from frontdesk.db import Database
from frontdesk.db.models import SiteMembership, StaffUser
from frontdesk.staff.accounts import verify_password
from tests.support.cli_runs import run
from tests.support.factories import make_site
from tests.support.staff_accounts import TEST_HASHER

PASSWORD = "a long passphrase"


def _account(sqlite_url: str, email: str) -> tuple[str, set[int]]:
    db = Database(sqlite_url)
    with db.session() as session:
        user = session.scalar(select(StaffUser).where(StaffUser.email == email))
        sites = set(
            session.scalars(
                select(SiteMembership.site_id).where(SiteMembership.staff_id == user.id)
            )
        )
        result = user.password_hash, sites
    db.dispose()
    return result


def test_an_unknown_site_is_refused_before_the_password_is_asked(cli_env):
    result = run(["staff", "add", "ana@acme.test", "--site", "fd_nope"], cli_env, check=False)
    assert result.returncode == 1
    assert "No site with key 'fd_nope'" in result.stderr
    assert "Password" not in result.stdout + result.stderr
    bad_email = run(["staff", "add", "not-an-email", "--site", "fd_nope"], cli_env, check=False)
    assert bad_email.returncode == 1 and "is not an e-mail address" in bad_email.stderr


def test_the_password_is_prompted_twice_and_asked_again_when_too_short(cli_env, sqlite_url):
    db = Database(sqlite_url)
    site = make_site(db)
    db.dispose()
    answers = f"short\nshort\n{PASSWORD}\n{PASSWORD}\n"
    created = run(["staff", "add", "Ana@Acme.test", "--site", site.public_key], cli_env, answers)
    assert "at least 10 characters" in created.stderr
    assert f"Staff account ana@acme.test is created and can sign in to {site.public_key}" in (
        created.stdout
    )
    password_hash, sites = _account(sqlite_url, "ana@acme.test")
    assert verify_password(TEST_HASHER, password_hash, PASSWORD) and sites == {site.id}


def test_an_existing_account_keeps_its_password_without_reset(cli_env, sqlite_url):
    db = Database(sqlite_url)
    site, second = make_site(db), make_site(db)
    db.dispose()
    email = "ana@acme.test"
    run(["staff", "add", email, "--site", site.public_key, "--password", PASSWORD], cli_env)
    before, _sites = _account(sqlite_url, email)

    again = ["staff", "add", email, "--site", site.public_key]
    same_site = run(again, cli_env, check=False)
    assert same_site.returncode == 1 and "can already sign in" in same_site.stderr
    assert "--reset-password" in same_site.stderr
    with_password = run(again + ["--password", "another passphrase"], cli_env, check=False)
    assert with_password.returncode == 1 and "its password was not changed" in with_password.stderr
    assert _account(sqlite_url, email)[0] == before

    # Another site: access is granted, the password is neither asked for nor changed.
    granted = run(["staff", "add", email, "--site", second.public_key], cli_env, stdin="")
    assert "now also sign in" in granted.stdout and "password unchanged" in granted.stdout
    assert _account(sqlite_url, email) == (before, {site.id, second.id})

    reset = again + ["--reset-password", "--password", "another passphrase"]
    assert "has a new password" in run(reset, cli_env).stdout
    after, _sites = _account(sqlite_url, email)
    assert after != before and verify_password(TEST_HASHER, after, "another passphrase")


def test_reset_password_needs_an_existing_account(cli_env, sqlite_url):
    db = Database(sqlite_url)
    site = make_site(db)
    db.dispose()
    args = ["staff", "add", "new@acme.test", "--site", site.public_key, "--reset-password"]
    result = run(args + ["--password", PASSWORD], cli_env, check=False)
    assert result.returncode == 1 and "There is no account new@acme.test to reset" in result.stderr


def _roles(sqlite_url: str, site_id: int) -> dict[str, str]:
    db = Database(sqlite_url)
    with db.session() as session:
        rows = session.execute(
            select(StaffUser.email, SiteMembership.role)
            .join(SiteMembership.staff)
            .where(SiteMembership.site_id == site_id)
        ).all()
    db.dispose()
    return dict(rows)


def test_the_first_account_owns_the_site_and_role_chooses_for_the_others(cli_env, sqlite_url):
    db = Database(sqlite_url)
    site = make_site(db)
    db.dispose()
    key = site.public_key
    for email, extra in (("ana@acme.test", []), ("ben@acme.test", []),
                         ("cleo@acme.test", ["--role", "admin"])):  # fmt: skip
        run(["staff", "add", email, "--site", key, "--password", PASSWORD, *extra], cli_env)
    assert _roles(sqlite_url, site.id) == {
        "ana@acme.test": "owner", "ben@acme.test": "member", "cleo@acme.test": "admin",
    }  # fmt: skip
    wrong = ["staff", "add", "dan@acme.test", "--site", key, "--password", PASSWORD,
             "--role", "superuser"]  # fmt: skip
    refused = run(wrong, cli_env, check=False)
    assert refused.returncode == 2 and "superuser" in refused.stderr
    assert "dan@acme.test" not in _roles(sqlite_url, site.id)
