"""Serves static assets (from the installed package or the source checkout), the favicon, and `/`,
which leads to the dashboard."""

from __future__ import annotations

from pathlib import Path

from flask import Blueprint, redirect, send_from_directory, url_for

bp = Blueprint("assets", __name__)

_PACKAGE = Path(__file__).resolve().parent


def asset_dir(name: str) -> Path:
    """Folder of the `widget` or `static` assets: packaged copy first, else the repository's."""
    packaged = _PACKAGE / "_assets" / name
    if packaged.is_dir():
        return packaged
    checkout = _PACKAGE.parent.parent / name
    if checkout.is_dir():
        return checkout
    raise FileNotFoundError(f"asset folder {name!r} not found")


@bp.get("/static/<path:filename>")
def static_file(filename: str):
    """A dashboard or demo-page asset."""
    return send_from_directory(asset_dir("static"), filename, max_age=3600)


@bp.get("/")
def root():
    """The server's own address leads to the dashboard (sign-in first when needed)."""
    return redirect(url_for("staff.home"))


@bp.get("/favicon.ico")
def favicon():
    """The icon browsers ask for on every page without a <link rel="icon"> (JSON, errors)."""
    return send_from_directory(
        asset_dir("static"), "favicon.svg", mimetype="image/svg+xml", max_age=86400
    )
