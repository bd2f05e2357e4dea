"""Fixtures for the training tests: an app with a site, its staff and its knowledge."""

from __future__ import annotations

from pathlib import Path

import pytest

from frontdesk import create_app
from frontdesk.knowledge.ingest import ingest_paths
from tests.support.apps import app_config
from tests.support.factories import make_site
from tests.support.staff_accounts import make_staff
from tests.support.training_data import PAGES


@pytest.fixture
def training_app(database_url: str, tmp_path: Path):
    """An app (offline engine) with one site that has two services, two pages and a staff."""
    application = create_app(app_config(database_url, tmp_path))
    db = application.extensions["frontdesk.db"]
    site = make_site(db, timezone="Europe/London", name="Harbour Studio")
    pages = tmp_path / "pages"
    pages.mkdir()
    for title, text in PAGES.items():
        (pages / f"{title.split()[0].lower()}.md").write_text(text)
    report = ingest_paths(db, site.id, [str(pages)])
    assert len(report.added) == len(PAGES), report
    make_staff(db, site.id)
    application.config["TEST_SITE"] = site
    yield application
    db.dispose()
