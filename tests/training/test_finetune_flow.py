"""End to end in the dashboard: rate, turn into a test, export, validate, upload, start, follow
the job to success, evaluate both models, use the new one, roll back; failures and providers
without a fine-tuning API."""

from __future__ import annotations

import re
import time

import pytest
from sqlalchemy import select

from frontdesk import create_app
from frontdesk.db.models import AuditEvent, EvalRun, Site
from frontdesk.training.export import ExportOptions, in_validation
from tests.support.apps import app_config
from tests.support.factories import make_site
from tests.support.fake_llm import FakeLLM
from tests.support.forms import csrf_from
from tests.support.staff_accounts import make_staff, sign_in
from tests.support.training_data import PAGES, make_training_conversation

BASE = "gpt-4o-mini-2024-07-18"


def _responder(body):
    """The fine-tuned model looks the price up and cites the page; the base model guesses."""
    last = body["messages"][-1]
    if last["role"] == "tool":
        return FakeLLM.text("A consultation costs €90 for 30 minutes.")
    if body["model"].startswith("ft:"):
        return FakeLLM.tool_calls([("search_knowledge", {"query": "consultation price"})])
    return FakeLLM.text("Prices vary, I'm not sure.")


@pytest.fixture
def llm_app(database_url, tmp_path, fake_llm):
    fake_llm.responder = _responder
    fake_llm.finetune.stage_seconds = 0.05
    fake_llm.finetune.steps = 4
    config = app_config(database_url, tmp_path, ENGINE=None, MODEL=BASE, FINETUNE_SYNC_SECONDS=0)
    app = create_app(config, llm_client=fake_llm.client(timeout=10))
    db = app.extensions["frontdesk.db"]
    site = make_site(db, timezone="Europe/London", name="Harbour Studio")
    pages = tmp_path / "pages"
    pages.mkdir()
    for title, text in PAGES.items():
        (pages / f"{title.split()[0].lower()}.md").write_text(text)
    from frontdesk.knowledge.ingest import ingest_paths

    ingest_paths(db, site.id, [str(pages)])
    make_staff(db, site.id)
    yield app, site, fake_llm
    db.dispose()


def _post(client, page_url, url, data):
    token = csrf_from(client.get(page_url).get_data(as_text=True))
    return client.post(url, data={"csrf_token": token, **data})


def _wait(predicate, seconds=20.0):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError("timed out")


def test_feedback_to_fine_tuned_model_and_back(llm_app):
    app, site, fake = llm_app
    db = app.extensions["frontdesk.db"]
    conversations = [make_training_conversation(db, site.id, n)[0] for n in range(16)]
    client = app.test_client()
    sign_in(client)
    key, first = site.public_key, conversations[0]
    page = f"/staff/{key}/conversations/{first.public_id}"
    html = client.get(page).get_data(as_text=True)
    assert "Turn into a test" in html and "Write the answer it should have given" in html
    feedback_url = f"/staff/{key}/training/feedback/{first.public_id}/4"
    assert _post(client, page, feedback_url, {"rating": "good"}).status_code == 302
    assert 'data-rating="good"' in client.get(page).get_data(as_text=True)
    case = _post(client, page, feedback_url + "/case", {})
    assert case.status_code == 302 and "/training/cases/" in case.location
    case_html = client.get(case.location).get_data(as_text=True)
    assert "cites a page" in case_html and "Pricing" in case_html

    export = client.get(f"/staff/{key}/training/export?model={BASE}").get_data(as_text=True)
    train = sum(not in_validation(c.public_id, ExportOptions()) for c in conversations)
    assert f"<strong>{train}</strong> training" in export and "ready" in export
    download = client.get(f"/staff/{key}/training/export/train.jsonl")
    assert download.status_code == 200 and len(download.data.splitlines()) == train
    assert b"maria.lopez@mail.test" not in download.data

    training_page = f"/staff/{key}/training/"
    started = _post(client, training_page, f"/staff/{key}/training/jobs",
                    {"model": BASE, "suffix": "harbour", "n_epochs": "2", "batch_size": "auto",
                     "learning_rate_multiplier": "auto", "seed": "7"})  # fmt: skip
    assert started.status_code == 302, started.get_data(as_text=True)
    job_url = started.location
    uploads = [r for r in fake.requests if r.path.endswith("/files")]
    assert len(uploads) == (2 if train < 16 else 1)
    create = [r for r in fake.requests if r.path.endswith("/fine_tuning/jobs")]
    assert create and create[0].body == {}  # recorded as JSON-less; the job holds the values
    job = next(iter(fake.finetune.jobs.values()))
    assert job["hyperparameters"]["n_epochs"] == 2 and job["seed"] == 7
    assert job["method"]["type"] == "supervised" and job["metadata"]["frontdesk_site"] == key

    status = _wait(lambda: (s := client.get(job_url + "/status").get_json())["done"] and s)
    assert status["status"] == "succeeded"
    job_html = client.get(job_url).get_data(as_text=True)
    assert 'id="loss-chart"' in job_html and "polyline" in job_html
    assert "ft:gpt-4o-mini-2024-07-18:org-fake:harbour:" in job_html
    _wait(lambda: len(_done_runs(db)) == 2)
    new, current = sorted(_done_runs(db), key=lambda r: not r.model.startswith("ft:"))
    assert new.by_kind["cites"] == [1, 1] and current.by_kind["cites"] == [0, 1]
    assert new.finetune_job_id == current.finetune_job_id is not None
    compare = client.get(f"/staff/{key}/training/compare?a={new.id}&b={current.id}")
    assert compare.status_code == 200 and "<svg" in compare.get_data(as_text=True)

    job_html = client.get(job_url).get_data(as_text=True)
    assert "Use this model" in job_html
    assert _post(client, job_url, job_url + "/use", {}).status_code == 302
    assert _site_model(db, site.id).startswith("ft:")
    back = _post(client, training_page, f"/staff/{key}/training/rollback", {})
    assert back.status_code == 302 and _site_model(db, site.id) == BASE
    index = client.get(training_page).get_data(as_text=True)
    assert re.search(r"roll back</td><td>ft:", index) and "feedback.saved" not in index
    with db.session() as session:
        actions = set(session.scalars(select(AuditEvent.action)))
    assert {
        "feedback.saved",
        "eval_case.created",
        "site.model_use",
        "site.model_rollback",
    } <= actions


def _done_runs(db):
    with db.session() as session:
        runs = list(session.scalars(select(EvalRun)))
    failed = [r.error for r in runs if r.status == "failed"]
    assert not failed, failed
    return [r for r in runs if r.status == "done"]


def _site_model(db, site_id):
    with db.session() as session:
        return session.get(Site, site_id).llm_settings.get("model")


def test_a_failing_job_shows_the_providers_error(llm_app):
    app, site, fake = llm_app
    db = app.extensions["frontdesk.db"]
    for n in range(16):
        make_training_conversation(db, site.id, n)
    fake.finetune.fail_next = {"code": "server_error", "message": "The GPU caught fire."}
    client = app.test_client()
    sign_in(client)
    training_page = f"/staff/{site.public_key}/training/"
    started = _post(client, training_page, f"/staff/{site.public_key}/training/jobs",
                    {"model": BASE})  # fmt: skip
    status = _wait(lambda: (s := client.get(started.location + "/status").get_json())["done"]
                   and s)  # fmt: skip
    assert status["status"] == "failed"
    html = client.get(started.location).get_data(as_text=True)
    assert "The GPU caught fire." in html and "server_error" in html


def test_a_provider_without_fine_tuning_gets_a_clear_message(llm_app):
    app, site, fake = llm_app
    db = app.extensions["frontdesk.db"]
    for n in range(16):
        make_training_conversation(db, site.id, n)
    fake.finetune.enabled = False
    client = app.test_client()
    sign_in(client)
    training_page = f"/staff/{site.public_key}/training/"
    started = _post(client, training_page, f"/staff/{site.public_key}/training/jobs",
                    {"model": BASE})  # fmt: skip
    html = client.get(started.location).get_data(as_text=True)
    assert "has no fine-tuning API" in html and "OpenAI, Azure OpenAI" in html
    assert client.get(f"/staff/{site.public_key}/training/export/train.jsonl").status_code == 200
