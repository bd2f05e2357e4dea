"""The `frontdesk` command: database, demo and serve here; sites, staff, ingest, purge, eval and
finetune added from their own modules."""

from __future__ import annotations

import contextlib
import threading

import click
from flask import Flask
from sqlalchemy import select

from frontdesk import warm_up, warn_of_weak_hashing
from frontdesk.cli_app import pass_app
from frontdesk.db.models import Site
from frontdesk.knowledge.cli import ingest_command
from frontdesk.retention_cli import purge_command
from frontdesk.sites_cli import sites_group, staff_group
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
    from frontdesk.db.migrate import upgrade  # here: alembic is ~0.1 s `serve` does not need

    done = upgrade(app.extensions["frontdesk.db"])
    click.echo(f"{done.describe()}: {_redact(app.config['DATABASE_URL'])}")


@main.command()
@click.option("--demo-host-url", default="http://127.0.0.1:8001", show_default=True)
@pass_app
def demo(app: Flask, demo_host_url: str) -> None:
    """Create (or refresh) the demo business and print how to use it."""
    from frontdesk.db.migrate import upgrade
    from frontdesk.demo import create_demo
    from frontdesk.sites import script_tag
    from frontdesk.staff.accounts import app_hasher

    database = app.extensions["frontdesk.db"]
    upgrade(database)
    info = create_demo(
        database,
        instance_path=app.config["INSTANCE_PATH"],
        demo_host_url=demo_host_url,
        hasher=app_hasher(app),
    )
    with database.session() as session:
        site = session.scalar(select(Site).where(Site.public_key == info.site_key))
        tag = script_tag(app.config["PUBLIC_URL"], site)
        engine = engine_lines(app, site)
    click.echo(
        f"\nDemo site:     Harbour & Pixel (key {info.site_key}, {info.documents} knowledge pages)"
        f"\nDemo page:     {demo_host_url}/"
        f"\nDashboard:     {app.config['PUBLIC_URL']}/staff/"
        f"\nStaff login:   {info.staff_email} / {info.staff_password}"
        f"\nScript tag:    {tag}"
        f"\nAssistant:     {engine}\n"
    )


def engine_lines(app: Flask, site=None) -> str:
    """Which engine answers (the site's, or the server's default) and how to switch, for people
    who just ran `make run`."""
    from frontdesk.assistant.select import engine_in_use

    used = engine_in_use(site, app.config, app.extensions.get("frontdesk.llm_client"))
    auto = "automatic: " if used.setting == "auto" else ""
    text = f"{used.label} ({auto}{used.reason})"
    pad = "\n" + " " * 15
    if used.kind == "offline":
        return (
            f"{text}{pad}For a model: OPENAI_API_KEY=sk-... make run (any OpenAI-compatible "
            f"server: OPENAI_BASE_URL=http://host/v1){pad}or per site in Settings, Assistant"
        )
    return f"{text}{pad}To answer without a model: FRONTDESK_ENGINE=offline make run"


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=int)
@click.option("--demo-host-port", type=int, default=None, help="Also serve the demo host page")
@pass_app
def serve(app: Flask, host: str, port: int, demo_host_port: int | None) -> None:
    """Serve Frontdesk (threaded server; see docs/deployment.md for gunicorn behind nginx)."""
    from frontdesk.db.schema_check import schema_problem
    from frontdesk.realtime import single_process
    from frontdesk.serving import make_guarded_server
    from frontdesk.wsgi import freeze_startup_heap

    problem = schema_problem(app.extensions["frontdesk.db"])
    if problem is not None:  # before any worker starts on a schema it does not know
        raise click.ClickException(problem)
    try:
        single_process.claim(app)
    except single_process.AlreadyServing as exc:
        raise click.ClickException(str(exc)) from exc
    warn_of_weak_hashing(app)
    _start_mail_catcher(app)
    mailer = app.extensions.get("frontdesk.mailer")
    if mailer is not None:
        mailer.start_worker()
        mailer.wake()  # anything queued while the catcher was not yet listening
    for worker in ("frontdesk.calendar_sync", "frontdesk.calendar_writer"):
        if app.extensions.get(worker) is not None:  # as the mailer: a server runs its workers
            app.extensions[worker].start_worker()
    # What a crash left unfinished is resumed; with REDIS_URL another process may be doing
    # it, and each job then re-reads under the turn lease whether it is still pending.
    from frontdesk.chat.work import start_recovery

    start_recovery(app)
    if demo_host_port:
        _serve_demo_host(host, demo_host_port, f"http://{host}:{port}")
    if not demo_host_port:  # with the demo, `frontdesk demo` has just said it (`make run`)
        click.echo(f"Assistant:     {engine_lines(app)}")
    click.echo(f"Frontdesk on http://{host}:{port}  (Ctrl+C to stop)")
    server = make_guarded_server(host, port, app)  # head timeout, per-IP cap on slow heads
    freeze_startup_heap()
    warm_up()  # listening already: the first requests find the engines loaded
    with contextlib.suppress(KeyboardInterrupt):
        server.serve_forever()


def _start_mail_catcher(app: Flask) -> None:
    """The demo's local SMTP catcher, when MAIL_CATCHER is set and e-mail goes to it."""
    from pathlib import Path

    address = app.config.get("MAIL_CATCHER")
    if not address or app.config.get("SMTP_URL") != f"smtp://{address}":
        return  # not asked for, or a real SMTP_URL was given: that one is used
    from frontdesk.mail_catcher import CatcherError, start_catcher  # aiosmtpd: only when used

    folder = Path(app.config["INSTANCE_PATH"]) / "caught-mail"
    try:
        catcher = start_catcher(address, folder, announce=click.echo)
    except CatcherError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(
        f"Mail catcher on {catcher.address}: e-mail is kept, never delivered "
        f"(dashboard: E-mail; copies in {folder})"
    )


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


main.add_command(sites_group, "sites")
main.add_command(staff_group, "staff")
main.add_command(ingest_command, "ingest")
main.add_command(purge_command, "purge")
main.add_command(eval_group, "eval")
main.add_command(finetune_group, "finetune")

if __name__ == "__main__":
    main()
