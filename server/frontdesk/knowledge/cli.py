"""`frontdesk ingest --site KEY PATH|URL...`: fill a site's knowledge base from files or a website."""

from __future__ import annotations

import sys
from typing import TextIO

import click
from flask import Flask
from sqlalchemy import select

from frontdesk.cli_app import pass_app
from frontdesk.db.models import Site
from frontdesk.knowledge.embeddings import Embedder
from frontdesk.knowledge.fetch import Fetcher, FetchPolicy
from frontdesk.knowledge.ingest import IngestReport, Progress, Step, ingest_paths
from frontdesk.outbound.guard import OutboundPolicy

MAX_LISTED_PROBLEMS = 20


# The operator runs these commands on the server and names the addresses: private and loopback
# hosts are theirs to read. The guard still checks every request and pins its address.
OPERATOR = OutboundPolicy(allow_private=True)


class UnknownSite(LookupError):
    """No site has the given public key."""


def run_ingest(
    app: Flask,
    site_key: str,
    sources: list[str],
    progress: bool | Progress = True,
    *,
    policy: FetchPolicy | None = None,
    embeddings: bool = False,
    follow_links: bool = True,
    prune: bool = False,
) -> IngestReport:
    """Ingest sources into the site with public key `site_key`; raises UnknownSite."""
    db = app.extensions["frontdesk.db"]
    with db.session() as session:
        site_id = session.scalar(select(Site.id).where(Site.public_key == site_key))
    if site_id is None:
        raise UnknownSite(f"no site has the key {site_key!r} (see `frontdesk sites list`)")
    if progress is True:
        progress = ProgressLine(sys.stderr)
    embedder = _embedder(app) if embeddings else None
    report = ingest_paths(
        db,
        site_id,
        list(sources),
        progress=progress or None,
        fetcher=Fetcher(policy or FetchPolicy(outbound=OPERATOR)),
        embedder=embedder,
        follow_links=follow_links,
        prune=prune,
    )
    if isinstance(progress, ProgressLine):
        progress.close()
    return report


def _embedder(app: Flask) -> Embedder:
    client = app.extensions.get("frontdesk.llm_client")
    if client is None:
        if not app.config.get("OPENAI_API_KEY"):
            raise click.UsageError("--embeddings needs OPENAI_API_KEY (or an LLM client)")
        import openai

        client = openai.OpenAI(
            api_key=app.config["OPENAI_API_KEY"], base_url=app.config.get("OPENAI_BASE_URL")
        )
    return Embedder(client, app.config.get("EMBEDDING_MODEL") or "text-embedding-3-small")


class ProgressLine:
    """A one-line progress display on a terminal; silent when output is not a terminal."""

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream
        self.active = stream.isatty()
        self.width = 0

    def __call__(self, step: Step) -> None:
        """Show the latest document handled."""
        if not self.active:
            return
        count = f"{step.done}/{step.total}" if step.total else f"{step.done}"
        line = f"[{count}] {step.outcome:<9} {step.source}"[:110]
        self.stream.write("\r" + line.ljust(self.width))
        self.stream.flush()
        self.width = len(line)

    def close(self) -> None:
        """End the progress line."""
        if self.active and self.width:
            self.stream.write("\r" + " " * self.width + "\r")
            self.stream.flush()


@click.command("ingest")
@click.option("--site", "site_key", required=True, help="Public key of the site.")
@click.option("--max-pages", default=100, show_default=True, help="Pages fetched per URL.")
@click.option("--delay", default=1.0, show_default=True, help="Seconds between requests.")
@click.option("--follow/--no-follow", default=True, show_default=True, help="Follow page links.")
@click.option("--embeddings", is_flag=True, help="Also store embeddings (needs an API key).")
@click.option(
    "--prune",
    is_flag=True,
    help="Remove documents from these folders or sites that were not found this time.",
)
@click.argument("sources", nargs=-1, required=True)
@pass_app
def ingest_command(
    app: Flask,
    site_key: str,
    max_pages: int,
    delay: float,
    follow: bool,
    embeddings: bool,
    prune: bool,
    sources: tuple[str, ...],
) -> None:
    """Ingest Markdown, HTML, text and PDF files or folders, web pages or a sitemap.xml."""
    if max_pages < 1 or delay < 0:
        raise click.BadParameter("--max-pages must be at least 1 and --delay not negative")
    policy = FetchPolicy(delay=delay, max_pages=max_pages, outbound=OPERATOR)
    try:
        report = run_ingest(
            app,
            site_key,
            list(sources),
            policy=policy,
            embeddings=embeddings,
            follow_links=follow,
            prune=prune,
        )
    except UnknownSite as exc:
        raise click.ClickException(str(exc)) from exc
    _print_report(report)
    if report.failed:
        sys.exit(1)


def _print_report(report: IngestReport) -> None:
    for label, problems in (("Failed", report.failed), ("Skipped", report.skipped)):
        for source, reason in problems[:MAX_LISTED_PROBLEMS]:
            click.echo(f"{label}: {source}: {reason}", err=True)
        if len(problems) > MAX_LISTED_PROBLEMS:
            click.echo(f"... and {len(problems) - MAX_LISTED_PROBLEMS} more", err=True)
    for source in report.removed[:MAX_LISTED_PROBLEMS]:
        click.echo(f"Removed: {source}")
    click.echo(report.summary())
