"""`frontdesk purge`: apply every site's transcript retention (run it daily from cron)."""

from __future__ import annotations

import click

from frontdesk.db.types import utcnow
from frontdesk.privacy import purge_expired


@click.command("purge")
def purge_command() -> None:
    """Delete transcripts and sent e-mails older than each site's retention period."""
    from frontdesk import create_app  # built here so `--help` never touches the database

    app = create_app({"MAIL_WORKER": False})
    try:
        report = purge_expired(app.extensions["frontdesk.db"], utcnow())
    finally:
        app.extensions["frontdesk.db"].dispose()
    click.echo(
        f"Purged {report.conversations} conversation(s), {report.messages} message(s) and "
        f"{report.emails} e-mail(s) across {report.sites} site(s) with a retention period."
    )
