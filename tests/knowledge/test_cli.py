"""`frontdesk ingest`: the click command and run_ingest against a real app and database."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import func, select

from frontdesk.db.models import Document
from frontdesk.knowledge.cli import UnknownSite, ingest_command, run_ingest
from tests.support.factories import make_site
from tests.support.knowledge_files import write_knowledge_folder


def _document_count(app, site_id):
    with app.extensions["frontdesk.db"].session() as session:
        return session.scalar(select(func.count()).where(Document.site_id == site_id))


def test_ingest_command_prints_a_summary(app, tmp_path: Path):
    site = make_site(app.extensions["frontdesk.db"])
    folder = write_knowledge_folder(tmp_path / "kb")

    result = app.test_cli_runner().invoke(ingest_command, ["--site", site.public_key, str(folder)])

    assert result.exit_code == 0, result.output
    assert "4 added, 0 updated, 0 unchanged, 0 failed, 1 skipped" in result.output
    # The picture in the folder is counted and the reason given; the hidden draft is not seen.
    assert "Skipped 1: unsupported file type .png" in result.output
    assert "logo.png" in result.output and ".hidden.md" not in result.output
    assert _document_count(app, site.id) == 4

    with app.app_context():
        again = CliRunner().invoke(ingest_command, ["--site", site.public_key, str(folder)])
    assert again.exit_code == 0 and "0 added, 0 updated, 4 unchanged" in again.output


def test_a_source_that_gives_nothing_fails_the_command(app, tmp_path: Path):
    site = make_site(app.extensions["frontdesk.db"])
    good = tmp_path / "good.txt"
    good.write_text("We are open on weekdays.")
    args = ["--site", site.public_key, str(good), str(tmp_path / "missing.pdf")]

    result = app.test_cli_runner().invoke(ingest_command, args)

    assert result.exit_code == 1
    assert "missing.pdf: no such file or folder" in result.output
    assert "1 added, 0 updated, 0 unchanged, 1 failed" in result.output
    assert f"Nothing could be read from {tmp_path / 'missing.pdf'}." in result.output


def test_one_broken_file_in_a_folder_is_reported_but_not_fatal(app, tmp_path: Path):
    site = make_site(app.extensions["frontdesk.db"])
    folder = write_knowledge_folder(tmp_path / "kb")
    (folder / "broken.pdf").write_bytes(b"%PDF-1.4 not really a pdf")

    result = app.test_cli_runner().invoke(ingest_command, ["--site", site.public_key, str(folder)])

    assert result.exit_code == 0, result.output
    assert "Failed: " in result.output and "broken.pdf: unreadable PDF" in result.output
    assert "4 added, 0 updated, 0 unchanged, 1 failed, 1 skipped" in result.output
    assert "1 of 5 documents could not be read" in result.output


def test_a_folder_with_nothing_readable_fails_the_command(app, tmp_path: Path):
    site = make_site(app.extensions["frontdesk.db"])
    (tmp_path / "pictures").mkdir()
    (tmp_path / "pictures" / "a.jpg").write_bytes(b"jpeg")

    result = app.test_cli_runner().invoke(
        ingest_command, ["--site", site.public_key, str(tmp_path / "pictures")]
    )

    assert result.exit_code == 1
    assert "0 added, 0 updated, 0 unchanged, 0 failed, 1 skipped" in result.output
    assert "Skipped 1: unsupported file type .jpg" in result.output
    assert "Nothing could be read from" in result.output


def test_unknown_site_is_a_clear_error(app, tmp_path: Path):
    result = app.test_cli_runner().invoke(ingest_command, ["--site", "pk_nope", str(tmp_path)])
    assert result.exit_code != 0 and "no site has the key 'pk_nope'" in result.output
    with pytest.raises(UnknownSite):
        run_ingest(app, "pk_nope", [str(tmp_path)], progress=False)
    bad = app.test_cli_runner().invoke(ingest_command, ["--site", "x", "--max-pages", "0", "a"])
    assert bad.exit_code == 2


def test_run_ingest_reports_progress(app, tmp_path: Path):
    site = make_site(app.extensions["frontdesk.db"])
    folder = write_knowledge_folder(tmp_path / "kb")
    steps = []
    report = run_ingest(app, site.public_key, [str(folder)], progress=steps.append)
    assert len(report.added) == 4 and len(report.skipped) == 1
    assert [(s.done, s.total) for s in steps] == [(n, 5) for n in range(1, 6)]
    assert {s.outcome for s in steps} == {"added", "skipped"}


def test_embeddings_flag_needs_a_provider(app, tmp_path: Path):
    site = make_site(app.extensions["frontdesk.db"])
    args = ["--site", site.public_key, "--embeddings", str(tmp_path)]
    result = app.test_cli_runner().invoke(ingest_command, args)
    assert result.exit_code == 2 and "OPENAI_API_KEY" in result.output
    assert _document_count(app, site.id) == 0


def test_ingest_command_prune_lists_what_it_removed(app, tmp_path: Path):
    site = make_site(app.extensions["frontdesk.db"])
    folder = write_knowledge_folder(tmp_path / "kb")
    runner = app.test_cli_runner()
    runner.invoke(ingest_command, ["--site", site.public_key, str(folder)])
    (folder / "sub" / "hours.html").unlink()

    result = runner.invoke(ingest_command, ["--site", site.public_key, "--prune", str(folder)])

    assert result.exit_code == 0, result.output
    assert f"Removed: {folder.absolute() / 'sub' / 'hours.html'}" in result.output
    assert result.output.strip().endswith(
        "0 added, 0 updated, 3 unchanged, 0 failed, 1 skipped, 1 removed"
    )
    assert _document_count(app, site.id) == 3
