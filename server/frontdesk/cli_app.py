"""The app a `frontdesk` command runs against: every command gets it the same way (`pass_app`)."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

import click
from flask import Flask, current_app, has_app_context
from flask.cli import ScriptInfo


def pass_app(command: Callable[..., Any]) -> Callable[..., Any]:
    """Call the click command `command` with the app as its first argument (see `command_app`)."""

    @click.pass_context
    @functools.wraps(command)
    def run(ctx: click.Context, *args: Any, **kwargs: Any) -> Any:
        return command(command_app(ctx), *args, **kwargs)

    return run


def command_app(ctx: click.Context) -> Flask:
    """The app of an active app context, else of Flask's CLI holder (`app.test_cli_runner()`,
    `flask --app`), else one built from the environment now and disposed of when the command
    ends. Built only when a command runs, so `--help` never touches the database."""
    if has_app_context():
        return current_app._get_current_object()  # type: ignore[attr-defined]
    info = ctx.find_object(ScriptInfo)
    if info is not None:
        return info.load_app()
    from frontdesk import ConfigError, create_app  # here: importing a command builds nothing

    # No background threads for a command: they would race `db upgrade` on a new database (and
    # log tracebacks about missing tables); `serve` starts the ones it needs itself.
    try:
        app = create_app({"MAIL_WORKER": False, "CALENDAR_WORKER": False})
    except ConfigError as exc:
        raise click.ClickException(f"Configuration: {exc}") from None
    ctx.call_on_close(app.extensions["frontdesk.db"].dispose)
    return app
