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
from frontdesk.knowledge.ingest import IngestReport, Progress, Step, ingest_paths, is_url
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
    """Progress of an ingest run: one line kept up to date on a terminal, else one line per
    document (a log, so a long crawl is never silent)."""

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream
        self.terminal = stream.isatty()
        self.width = 0

    def __call__(self, step: Step) -> None:
        """Show the latest document handled."""
        count = f"{step.done}/{step.total}" if step.total else f"{step.done}"
        line = f"[{count}] {step.outcome:<9} {step.source}"
        if not self.terminal:
            self.stream.write(line + (f" ({step.reason})" if step.reason else "") + "\n")
        else:
            line = line[:110]
            self.stream.write("\r" + line.ljust(self.width))
            self.width = len(line)
        self.stream.flush()

    def close(self) -> None:
        """End the progress line."""
        if self.terminal and self.width:
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
    for source in sources:
        if is_url(source):
            how = "its links" if follow else "that page only"
            click.echo(
                f"Reading {source}: {how} (or its sitemap's pages), at most {max_pages} pages, "
                f"{delay:g} s apart",
                err=True,
            )
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
    # One broken link among many pages is reported, not fatal; a source that gave nothing is.
    if report.unread:
        sys.exit(1)


def _print_report(report: IngestReport) -> None:
    for source, reason in report.failed[:MAX_LISTED_PROBLEMS]:
        click.echo(f"Failed: {source}: {reason}", err=True)
    if len(report.failed) > MAX_LISTED_PROBLEMS:
        click.echo(f"... and {len(report.failed) - MAX_LISTED_PROBLEMS} more failed", err=True)
    by_reason: dict[str, list[str]] = {}
    for source, reason in report.skipped:
        by_reason.setdefault(reason, []).append(source)
    for reason, sources in by_reason.items():
        examples = ", ".join(sources[:3]) + (", ..." if len(sources) > 3 else "")
        click.echo(f"Skipped {len(sources)}: {reason}: {examples}", err=True)
    for source in report.removed[:MAX_LISTED_PROBLEMS]:
        click.echo(f"Removed: {source}")
    click.echo(report.summary())
    for source in report.unread:
        click.echo(f"Nothing could be read from {source}.", err=True)
    if report.failed and not report.unread:
        click.echo(
            f"{len(report.failed)} of {report.read() + len(report.failed)} documents could not "
            "be read (listed above); everything else is in the knowledge base.",
            err=True,
        )
