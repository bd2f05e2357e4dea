"""Every process of a deployment runs the e-mail worker: racing processes send each e-mail once."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest

from frontdesk.db import Database
from frontdesk.db.models import OutboxEmail
from tests.support.factories import make_site
from tests.support.servers import free_port
from tests.support.smtp_servers import SmtpServer

pytestmark = pytest.mark.slow

PROCESSES = 4
EMAILS = 60

# One process of the deployment: the real Mailer on the shared database, sending what is due
# until a few rounds in a row find nothing left.
WORKER = textwrap.dedent(
    """
    import sys
    from frontdesk.booking.email import Mailer
    from frontdesk.db import Database

    db = Database(sys.argv[1])
    mailer = Mailer.from_config(db, {"SMTP_URL": sys.argv[2], "MAIL_FROM": "fd@studio.test"})
    idle = sent = 0
    while idle < 3:
        count = mailer.send_due()
        sent += count
        idle = 0 if count else idle + 1
    db.dispose()
    print(sent)
    """
)


def queue_emails(database: Database, site_id: int) -> None:
    with database.transaction() as session:
        for index in range(EMAILS):
            recipient = f"visitor{index}@example.test"
            message = (f"From: fd@studio.test\\r\\nTo: {recipient}\\r\\nSubject: n{index}\\r\\n\\r\\n"
                       "Your booking.\\r\\n").encode()  # fmt: skip
            session.add(OutboxEmail(site_id=site_id, recipient=recipient,
                                    subject=f"n{index}", message=message))  # fmt: skip


def test_processes_racing_for_the_outbox_send_each_email_exactly_once(pg_url):
    database = Database(pg_url)
    site = make_site(database)
    queue_emails(database, site.id)
    smtp = SmtpServer(free_port()).start()
    try:
        workers = [
            subprocess.Popen(
                [sys.executable, "-c", WORKER, pg_url, f"smtp://127.0.0.1:{smtp.port}"],
                stdout=subprocess.PIPE,
                text=True,
            )  # fmt: skip
            for _ in range(PROCESSES)
        ]
        sent = [int(worker.communicate(timeout=120)[0].strip()) for worker in workers]
    finally:
        smtp.stop()
    assert sum(sent) == EMAILS
    assert sum(1 for count in sent if count) >= 2  # the processes really shared the work
    recipients = sorted(rcpt for _sender, rcpts, _data in smtp.inbox.messages for rcpt in rcpts)
    assert recipients == sorted(f"visitor{index}@example.test" for index in range(EMAILS))
    with database.session() as session:
        rows = session.query(OutboxEmail).all()
    assert all(row.sent_at is not None and row.attempts == 1 for row in rows)
    database.dispose()
