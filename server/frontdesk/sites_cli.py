"""`frontdesk sites add|list|remove` and `frontdesk staff add|invite`: businesses and who may run
them."""

from __future__ import annotations

import click
from flask import Flask
from sqlalchemy import select

from frontdesk.audit import Actor, record
from frontdesk.cli_app import pass_app
from frontdesk.db.models import Site
from frontdesk.sites import (
    SiteError,
    create_site,
    remove_site,
    script_tag,
    site_by_key,
    site_contents,
    sites_named,
    validate_timezone,
)
from frontdesk.staff import invitations, invite_mail, roles
from frontdesk.staff.accounts import (
    AccountError,
    add_staff,
    app_hasher,
    check_password_strength,
    grant_site,
    normalize_email,
    staff_by_email,
)
from frontdesk.staff.roles import ADMIN, OWNER, ROLES


@click.group()
def sites_group() -> None:
    """Manage sites (businesses)."""


@sites_group.command("add")
@click.argument("name")
@click.option("--timezone", "tz", required=True, help="IANA zone of a place, e.g. Europe/Paris")
@click.option("--origin", "origins", multiple=True, help="Allowed origin (repeatable)")
@click.option("--key", default=None, help="Public key (default: generated)")
@click.option("--force", is_flag=True, help="Add it even if a site has the same name")
@pass_app
def sites_add(app: Flask, name: str, tz: str, origins: tuple[str, ...], key: str | None, force):
    """Add a site and print its script tag."""
    try:
        validate_timezone(tz)  # before anything else: the most common mistake
        with app.extensions["frontdesk.db"].transaction() as session:
            same = sites_named(session, name)
            if same and not force:
                keys = ", ".join(site.public_key for site in same)
                raise SiteError(
                    f"A site named {same[0].name!r} already exists (key {keys}). "
                    "Use --force to add another one with the same name."
                )
            site = create_site(
                session, name=name, timezone=tz, origins=list(origins), public_key=key
            )
            tag = script_tag(app.config["PUBLIC_URL"], site)
    except SiteError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"Added site {site.name!r} with key {site.public_key}\n{tag}")


@sites_group.command("list")
@pass_app
def sites_list(app: Flask) -> None:
    """List sites with their keys, zones and allowed origins."""
    with app.extensions["frontdesk.db"].session() as session:
        for site in session.scalars(select(Site).order_by(Site.id)):
            origins = ", ".join(site.allowed_origins) or "(no origins allowed yet)"
            click.echo(f"{site.public_key}\t{site.name}\t{site.timezone}\t{origins}")


@sites_group.command("remove")
@click.argument("site_key")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation")
@pass_app
def sites_remove(app: Flask, site_key: str, yes: bool) -> None:
    """Remove a site with its bookings, conversations and knowledge (asks first)."""
    database = app.extensions["frontdesk.db"]
    with database.session() as session:
        site = _site_or_fail(session, site_key)
        name, contents = site.name, site_contents(session, site)
    what = ", ".join(f"{count} {label}" for label, count in contents.items())
    click.echo(f"Site {name!r} ({site_key}) has {what}.")
    click.echo("Removing it deletes all of that; staff accounts and the audit log stay.")
    if not yes:
        click.confirm("Remove it for good?", abort=True)
    with database.write_transaction() as session:
        site = _site_or_fail(session, site_key)
        record(
            session,
            site_id=site.id,
            actor=Actor("system", "cli"),
            action="site.removed",
            subject_type="site",
            subject_id=site_key,
            data={"name": name, **contents},
        )
        remove_site(session, site)
    click.echo(f"Removed site {name!r} ({site_key}).")


@click.group()
def staff_group() -> None:
    """Manage staff accounts."""


@staff_group.command("add")
@click.argument("email")
@click.option("--site", "site_key", required=True, help="Public key of the site")
@click.option("--name", default="")
@click.option("--password", default=None, help="Password (prompted when omitted)")
@click.option("--reset-password", is_flag=True, help="Set a new password for an existing account")
@click.option(
    "--role",
    type=click.Choice(ROLES),
    default=None,
    help="Role on the site (default: owner when the site has none yet, else member)",
)
@pass_app
def staff_add(
    app: Flask,
    email: str,
    site_key: str,
    name: str,
    password: str | None,
    reset_password: bool,
    role: str | None,
) -> None:
    """Create a staff account for a site, give an existing account access to another site, or
    (with --reset-password) set a new password."""
    database = app.extensions["frontdesk.db"]
    try:
        email = normalize_email(email)
        # Everything that can be refused is checked before the password is asked for.
        with database.session() as session:
            site = _site_or_fail(session, site_key)
            user = staff_by_email(session, email)
            if user is not None and not reset_password:
                _grant_existing(database, email, site.id, site_key, password, role)
                return
            if user is None and reset_password:
                raise AccountError(
                    f"There is no account {email} to reset; leave out --reset-password to create it."
                )
        password = _ask_password() if password is None else password
        check_password_strength(password)
        with database.transaction() as session:
            hasher = app_hasher(app)
            add_staff(session, email, password, site.id, name=name, role=role, hasher=hasher)
    except AccountError as exc:
        raise click.ClickException(str(exc)) from exc
    done = "has a new password and" if reset_password else "is created and"
    click.echo(f"Staff account {email} {done} can sign in to {site_key}.")


def _grant_existing(database, email: str, site_id: int, site_key: str, password, role):
    """An existing account without --reset-password: its password is never changed silently."""
    if password is not None:
        raise AccountError(
            f"An account {email} already exists; its password was not changed. "
            "Add --reset-password to set a new one."
        )
    with database.transaction() as session:
        added = grant_site(session, staff_by_email(session, email), site_id, role)
    if not added:
        raise AccountError(
            f"{email} can already sign in to {site_key}; nothing changed. "
            "Add --reset-password to set a new password."
        )
    click.echo(f"Existing account {email} can now also sign in to {site_key} (password unchanged).")


def _ask_password() -> str:
    """Prompt (twice, hidden) until the password is strong enough."""
    while True:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
        try:
            check_password_strength(password)
        except AccountError as exc:
            click.echo(str(exc), err=True)
            continue
        return password


def _site_or_fail(session, site_key: str) -> Site:
    site = site_by_key(session, site_key)
    if site is None:
        raise click.ClickException(f"No site with key {site_key!r} (see `frontdesk sites list`).")
    return site


@staff_group.command("invite")
@click.argument("email")
@click.option("--site", "site_key", required=True, help="Public key of the site")
@click.option("--role", type=click.Choice(ROLES), default="member", show_default=True)
@click.option("--by", "by_email", default=None, help="Invite as this account of the site")
@pass_app
def staff_invite(app: Flask, email: str, site_key: str, role: str, by_email: str | None) -> None:
    """Invite someone to a site by e-mail, as People > Dashboard access does: the invitation
    e-mail goes through the outbox, or, without SMTP, the one-time link is printed here."""
    database = app.extensions["frontdesk.db"]
    # A request context: the link is built from the accept page's route, as on the web.
    with app.test_request_context("/"):
        try:
            with database.write_transaction() as session:
                site = _site_or_fail(session, site_key)
                issued, mailed = invite_mail.issue(
                    session, site, email, role, by=_inviter(session, site, by_email),
                    actor=Actor("system", "cli"), action="staff.invited",
                    data={"by": by_email or "cli"},
                )  # fmt: skip
        except (invitations.InviteError, AccountError) as exc:
            raise click.ClickException(str(exc)) from exc
        link = "" if mailed else invite_mail.link(issued.token)
    until = f"{issued.expires_at:%-d %B %Y, %H:%M} UTC"
    earlier = " The earlier link no longer works." if issued.replaced else ""
    if mailed:
        sent = app.extensions["frontdesk.mailer"].send_due()  # the server's mailer retries
        how = "sent" if sent else "queued (the server's mailer sends it and retries)"
        click.echo(f"Invitation to {site_key} as {role} {how} to {issued.email}.{earlier}")
        return
    click.echo(
        f"E-mail is not set up, so no invitation e-mail went out. Send {issued.email} this link "
        f"yourself; it works once, until {until}:{earlier}\n{link}"
    )


def _inviter(session, site: Site, by_email: str | None) -> tuple[int | None, str, str]:
    """Who invites: the named account of the site (its role decides what it may invite), or
    the server's operator, who may invite any role, as `staff add` may create any."""
    if by_email is None:
        return None, OWNER, "An administrator"
    user = staff_by_email(session, normalize_email(by_email))
    membership = next((m for m in (user.memberships if user else []) if m.site_id == site.id), None)
    if membership is None:
        raise AccountError(f"{by_email} has no access to {site.public_key}.")
    if not roles.at_least(membership.role, ADMIN):
        raise AccountError(f"{by_email} is a member there: only admins and owners invite people.")
    return user.id, membership.role, user.name or user.email
