"""Training pages give moments as the rest of the dashboard does: the site's zone, "Thu 3 Dec"."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path

import pytest

from frontdesk import create_app
from frontdesk.db.models import EvalCase, EvalRun, MessageFeedback
from frontdesk.training.blueprint import from_timestamp
from tests.support.apps import app_config
from tests.support.factories import make_site
from tests.support.staff_accounts import make_staff, sign_in
from tests.support.training_data import make_training_conversation

# 23:05 UTC on Wednesday 2 December is 10:05 on Thursday 3 December in Sydney.
MOMENT = datetime(2026, 12, 2, 23, 5, tzinfo=UTC)
SHOWN = "Thu 3 Dec 2026, 10:05"


@pytest.fixture
def sydney(database_url: str, tmp_path: Path):
    """An app with a Sydney site, a staff member signed in, a run, a case and a rating."""
    app = create_app(app_config(database_url, tmp_path))
    db = app.extensions["frontdesk.db"]
    site = make_site(db, timezone="Australia/Sydney", name="Harbour Studio")
    make_staff(db, site.id)
    conversation, messages = make_training_conversation(db, site.id, 0)
    with db.transaction() as session:
        run = EvalRun(site_id=site.id, engine="offline", status="done", created_at=MOMENT)
        case = EvalCase(site_id=site.id, name="Price", now=MOMENT, turns=["How much?"])
        rating = MessageFeedback(
            site_id=site.id, conversation_id=conversation.id, message_id=messages[4].id,
            rating="good", created_at=MOMENT, updated_at=MOMENT,
        )  # fmt: skip
        session.add_all([run, case, rating])
        session.flush()
        ids = run.id, case.id
    client = app.test_client()
    assert sign_in(client).status_code == 302
    yield client, site, conversation, ids
    db.dispose()


def test_training_pages_show_moments_in_the_sites_zone_unpadded(sydney):
    client, site, conversation, (run_id, case_id) = sydney
    base = f"/staff/{site.public_key}"
    pages = {
        "training": f"{base}/training/",
        "run": f"{base}/training/runs/{run_id}",
        "case": f"{base}/training/cases/{case_id}",
        "rating": f"{base}/conversations/{conversation.public_id}",
    }
    for name, url in pages.items():
        # (a <time>'s datetime attribute keeps the UTC moment, for machines)
        html = re.sub(r'datetime="[^"]*"', "", client.get(url).get_data(as_text=True))
        assert SHOWN in html, name
        assert "02 Dec" not in html and "03 Dec" not in html and "23:05" not in html, name
    assert "UTC" not in client.get(pages["run"]).get_data(as_text=True)


def test_a_providers_timestamp_is_shown_on_the_sites_clock(sydney):
    _client, site, _conversation, _ids = sydney
    stamp = int(MOMENT.timestamp()) + 9
    assert from_timestamp(stamp, site) == "Thu 3 Dec 2026, 10:05:09"
    assert from_timestamp(stamp) == "Wed 2 Dec 2026, 23:05:09"  # no site: UTC
    assert from_timestamp("not a time", site) == ""
