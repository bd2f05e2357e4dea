"""The invitation e-mail through the outbox to a real SMTP server (aiosmtpd on loopback): queued
in the invitation's transaction, retried while the server is down, delivered exactly once with a
link that works; the stored copy keeps no link once sent."""

from __future__ import annotations

import re
from datetime import timedelta

from sqlalchemy import select

from frontdesk import create_app
from frontdesk.db.models import OutboxEmail
from tests.support.apps import app_config
from tests.support.factories import make_site
from tests.support.forms import csrf_from
from tests.support.servers import free_port
from tests.support.smtp_servers import SmtpServer
from tests.support.staff_accounts import make_staff, sign_in

INVITEE = "nora@example.test"


def test_the_invitation_arrives_once_with_a_working_link(request, database_url, tmp_path):
    port = free_port()
    config = app_config(database_url, tmp_path, SMTP_URL=f"smtp://127.0.0.1:{port}",
                        MAIL_FROM="Frontdesk <mail@studio.test>", MAIL_RETRY_SECONDS=1)  # fmt: skip
    app = create_app(config)
    db, mailer = app.extensions["frontdesk.db"], app.extensions["frontdesk.mailer"]
    request.addfinalizer(db.dispose)
    site = make_site(db, name="Harbour Studio")
    make_staff(db, site.id, "owner@studio.test")
    client = app.test_client()
    assert sign_in(client, "owner@studio.test").status_code == 302
    token = csrf_from(client.get(f"/staff/{site.public_key}/access/").get_data(as_text=True))
    response = client.post(f"/staff/{site.public_key}/access/invitations",
                           data={"csrf_token": token, "email": INVITEE, "role": "member"})  # fmt: skip
    assert response.status_code == 302

    # The SMTP server is down at first: the e-mail waits and is retried, not lost.
    assert mailer.send_due() == 0
    with db.session() as session:
        [row] = session.scalars(select(OutboxEmail)).all()
    assert row.attempts == 1 and row.sent_at is None and not row.failed
    server = SmtpServer(port).start()
    request.addfinalizer(server.stop)
    assert mailer.send_due(now=row.next_attempt_at) == 1
    assert mailer.send_due(now=row.next_attempt_at + timedelta(hours=1)) == 0  # never twice
    [message] = server.inbox.to(INVITEE)
    assert len(server.inbox.messages) == 1  # once
    assert message["Subject"] == "owner@studio.test invited you to Harbour Studio on Frontdesk"
    text = message.get_body(preferencelist=("plain",)).get_content()
    link = re.search(r"http://frontdesk\.test(/staff/invite/[A-Za-z0-9_-]{43})", text).group(1)
    assert "as a member" in text and "works once" in text
    html = message.get_body(preferencelist=("html",)).get_content()
    assert f'<a href="http://frontdesk.test{link}">' in html

    # The link works: the invitee sets a password and is in.
    invitee = app.test_client()
    page = invitee.get(link).get_data(as_text=True)
    assert "Join Harbour Studio" in page
    form = {"csrf_token": csrf_from(page), "name": "Nora", "password": "a long passphrase",
            "confirm": "a long passphrase"}  # fmt: skip
    assert invitee.post(link, data=form).status_code == 302
    assert invitee.get(f"/staff/{site.public_key}/").status_code == 200

    # Sent: the stored copy keeps the headers, not the link.
    with db.session() as session:
        [row] = session.scalars(select(OutboxEmail)).all()
    assert row.sent_at is not None and link.encode() not in row.message
    assert INVITEE.encode() in row.message and b"private link" in row.message
