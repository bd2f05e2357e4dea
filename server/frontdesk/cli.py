"""The `frontdesk` command: database, demo, sites, staff, ingest, serve, eval and finetune."""

from __future__ import annotations

import contextlib
import threading

import click
from flask import Flask
from sqlalchemy import select

from frontdesk.cli_app import pass_app
from frontdesk.db.migrate import upgrade
from frontdesk.db.models import Site
from frontdesk.knowledge.cli import ingest_command
from frontdesk.retention_cli import purge_command
from frontdesk.training.cli import eval_group, finetune_group


@click.group()
def main() -> None:
    """Frontdesk: a chat widget whose assistant answers questions and books consultations."""


@main.group()
def db() -> None:
    """Database schema commands."""


@db.command("upgrade")
@pass_app
def db_upgrade(app: Flask) -> None:
    """Create or migrate the database schema to the latest version."""
    upgrade(app.extensions["frontdesk.db"])
    click.echo(f"Database is up to date: {_redact(app.config['DATABASE_URL'])}")


@main.command()
@click.option("--demo-host-url", default="http://127.0.0.1:8001", show_default=True)
@pass_app
def demo(app: Flask, demo_host_url: str) -> None:
    """Create (or refresh) the demo business and print how to use it."""
    from frontdesk.demo import create_demo
    from frontdesk.sites import script_tag

    database = app.extensions["frontdesk.db"]
    upgrade(database)
    info = create_demo(
        database, instance_path=app.config["INSTANCE_PATH"], demo_host_url=demo_host_url
    )
    with database.session() as session:
        site = session.scalar(select(Site).where(Site.public_key == info.site_key))
        tag = script_tag(app.config["PUBLIC_URL"], site)
    click.echo(
        f"\nDemo site:     Harbour & Pixel (key {info.site_key}, {info.documents} knowledge pages)"
        f"\nDemo page:     {demo_host_url}/"
        f"\nDashboard:     {app.config['PUBLIC_URL']}/staff/"
        f"\nStaff login:   {info.staff_email} / {info.staff_password}"
        f"\nScript tag:    {tag}\n"
    )


@main.group()
def sites() -> None:
    """Manage sites (businesses)."""


@sites.command("add")
@click.argument("name")
@click.option("--timezone", "tz", required=True, help="IANA zone, e.g. Europe/Paris")
@click.option("--origin", "origins", multiple=True, help="Allowed origin (repeatable)")
@click.option("--key", default=None, help="Public key (default: generated)")
@pass_app
def sites_add(app: Flask, name: str, tz: str, origins: tuple[str, ...], key: str | None):
    """Add a site and print its script tag."""
    from frontdesk.sites import SiteError, create_site, script_tag

    try:
        with app.extensions["frontdesk.db"].transaction() as session:
            site = create_site(
                session, name=name, timezone=tz, origins=list(origins), public_key=key
            )
            tag = script_tag(app.config["PUBLIC_URL"], site)
    except SiteError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"Added site {name!r} with key {site.public_key}\n{tag}")


@sites.command("list")
@pass_app
def sites_list(app: Flask) -> None:
    """List sites with their keys, zones and allowed origins."""
    with app.extensions["frontdesk.db"].session() as session:
        for site in session.scalars(select(Site).order_by(Site.id)):
            origins = ", ".join(site.allowed_origins) or "(no origins allowed yet)"
            click.echo(f"{site.public_key}\t{site.name}\t{site.timezone}\t{origins}")


@main.group()
def staff() -> None:
    """Manage staff accounts."""


@staff.command("add")
@click.argument("email")
@click.option("--site", "site_key", required=True, help="Public key of the site")
@click.option("--name", default="")
@click.password_option(help="Password (prompted when omitted)")
@pass_app
def staff_add(app: Flask, email: str, site_key: str, name: str, password: str) -> None:
    """Create a staff account (or add a site to an existing one)."""
    from frontdesk.sites import site_by_key
    from frontdesk.staff.accounts import AccountError, add_staff

    try:
        with app.extensions["frontdesk.db"].transaction() as session:
            site = site_by_key(session, site_key)
            if site is None:
                raise click.ClickException(f"No site with key {site_key!r}.")
            add_staff(session, email, password, site.id, name=name)
    except AccountError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"Staff {email} can now sign in to {site_key}.")


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=int)
@click.option("--demo-host-port", type=int, default=None, help="Also serve the demo host page")
@pass_app
def serve(app: Flask, host: str, port: int, demo_host_port: int | None) -> None:
    """Serve Frontdesk (threaded server; see docs/deployment.md for gunicorn behind nginx)."""
    from frontdesk.realtime import single_process
    from frontdesk.serving import make_guarded_server

    try:
        single_process.claim(app)
    except single_process.AlreadyServing as exc:
        raise click.ClickException(str(exc)) from exc
    mailer = app.extensions.get("frontdesk.mailer")
    if mailer is not None:
        mailer.start_worker()
    if demo_host_port:
        _serve_demo_host(host, demo_host_port, f"http://{host}:{port}")
    click.echo(f"Frontdesk on http://{host}:{port}  (Ctrl+C to stop)")
    server = make_guarded_server(host, port, app)  # head timeout, per-IP cap on slow heads
    with contextlib.suppress(KeyboardInterrupt):
        server.serve_forever()


def _serve_demo_host(host: str, port: int, server_url: str) -> None:
    from werkzeug.serving import make_server

    from frontdesk.demo import DEMO_KEY
    from frontdesk.demo_host import create_demo_host_app

    demo_app = create_demo_host_app(server_url, DEMO_KEY)
    server = make_server(host, port, demo_app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    click.echo(f"Demo host page on http://{host}:{port}/")


def _redact(url: str) -> str:
    """Hide a password in a database URL."""
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)


main.add_command(ingest_command, "ingest")
main.add_command(purge_command, "purge")
main.add_command(eval_group, "eval")
main.add_command(finetune_group, "finetune")

if __name__ == "__main__":
    main()
