"""`frontdesk staff invite`: the dashboard's invitation from the command line, with the same
rules (who may invite whom, an address with access already refused), the e-mail through the
outbox to a real SMTP server (aiosmtpd), or, without SMTP, the one-time link printed."""

from __future__ import annotations

import re

from sqlalchemy import select

from frontdesk.db import Database
from frontdesk.db.models import AuditEvent, OutboxEmail, StaffInvitation
from frontdesk.staff import invitations
from frontdesk.staff.invite_mail import PRIVATE_HEADER
from tests.support.cli_runs import run
from tests.support.factories import make_site
from tests.support.servers import free_port
from tests.support.smtp_servers import SmtpServer
from tests.support.staff_accounts import make_staff

LINK = re.compile(r"https://chat\.example\.test/staff/invite/(\S+)")


def _studio(sqlite_url: str):
    db = Database(sqlite_url)
    site = make_site(db, name="Studio")
    make_staff(db, site.id, "ana@studio.test")  # the owner
    make_staff(db, site.id, "tom@studio.test", role="admin")
    make_staff(db, site.id, "mia@studio.test")  # a member
    return db, site


def test_without_smtp_the_link_is_printed_once_and_works(cli_env, sqlite_url):
    db, site = _studio(sqlite_url)
    args = ["staff", "invite", "Nora@Example.test", "--site", site.public_key, "--role", "admin"]
    result = run(args, cli_env)
    assert "E-mail is not set up" in result.stdout and "works once" in result.stdout
    token = LINK.search(result.stdout).group(1)
    with db.session() as session:
        row = session.scalars(select(StaffInvitation)).one()
        event = session.scalars(
            select(AuditEvent).where(AuditEvent.action == "staff.invited")
        ).one()
        assert session.scalars(select(OutboxEmail)).all() == []
    assert (row.email, row.role, row.invited_by) == ("nora@example.test", "admin", None)
    assert row.token_hash == invitations.token_hash(token)  # the printed link opens it
    assert event.subject_id == "nora@example.test" and event.data["mailed"] is False
    again = run(args, cli_env)  # a pending address gets a new link; the old one stops working
    assert "The earlier link no longer works." in again.stdout
    with db.session() as session:
        assert invitations.state_of(session.get(StaffInvitation, row.id), row.created_at) == (
            invitations.REVOKED
        )
    db.dispose()


def test_with_smtp_the_invitation_goes_out_through_the_outbox(cli_env, sqlite_url):
    db, site = _studio(sqlite_url)
    smtp = SmtpServer(free_port()).start()
    try:
        env = {**cli_env, "FRONTDESK_SMTP_URL": f"smtp://127.0.0.1:{smtp.port}"}
        args = ["staff", "invite", "nora@example.test", "--site", site.public_key]
        result = run([*args, "--by", "tom@studio.test"], env)
        assert (
            "sent to nora@example.test" in result.stdout and "/staff/invite/" not in result.stdout
        )
        [message] = smtp.inbox.to("nora@example.test")
    finally:
        smtp.stop()
    assert message["Subject"] == "tom@studio.test invited you to Studio on Frontdesk"
    assert message[PRIVATE_HEADER] == "invitation"
    text = message.get_body(preferencelist=("plain",)).get_content()
    assert "as a member" in text and LINK.search(text)
    with db.session() as session:
        [mail] = session.scalars(select(OutboxEmail)).all()
        row = session.scalars(select(StaffInvitation)).one()
    assert mail.sent_at is not None and row.role == "member" and row.invited_by is not None
    db.dispose()


def test_the_dashboards_rules_hold(cli_env, sqlite_url):
    db, site = _studio(sqlite_url)
    key = site.public_key

    def refused(*extra: str) -> str:
        result = run(["staff", "invite", *extra, "--site", key], cli_env, check=False)
        assert result.returncode == 1, result.stdout
        return result.stderr

    assert "Only an owner can invite owners." in refused(
        "new@studio.test", "--role", "owner", "--by", "tom@studio.test"
    )
    assert "only admins and owners invite people" in refused(
        "new@studio.test", "--by", "mia@studio.test"
    )
    assert "already has access" in refused("mia@studio.test")
    assert "has no access" in refused("new@studio.test", "--by", "someone@else.test")
    assert "is not an e-mail address" in refused("not-an-email")
    other = run(["staff", "invite", "x@studio.test", "--site", "fd_nope"], cli_env, check=False)
    assert other.returncode == 1 and "No site with key 'fd_nope'" in other.stderr
    owner = run(["staff", "invite", "co@studio.test", "--site", key, "--role", "owner"], cli_env)
    assert LINK.search(owner.stdout)  # the server's operator invites any role
    with db.session() as session:
        assert [r.email for r in session.scalars(select(StaffInvitation))] == ["co@studio.test"]
    db.dispose()
