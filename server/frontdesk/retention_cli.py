"""`frontdesk purge`: apply every site's transcript retention (run it daily from cron)."""

from __future__ import annotations

import click
from flask import Flask

from frontdesk.cli_app import pass_app
from frontdesk.db.types import utcnow
from frontdesk.retention import purge_expired


@click.command("purge")
@pass_app
def purge_command(app: Flask) -> None:
    """Delete transcripts and sent e-mails older than each site's retention period."""
    report = purge_expired(app.extensions["frontdesk.db"], utcnow())
    click.echo(
        f"Purged {report.conversations} conversation(s), {report.messages} message(s) and "
        f"{report.emails} e-mail(s) across {report.sites} site(s) with a retention period."
    )
