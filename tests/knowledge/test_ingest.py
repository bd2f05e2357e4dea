"""Ingesting folders of files: added, unchanged, updated and failed documents (both backends)."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import func, select

from frontdesk.db.models import Chunk, Document
from frontdesk.knowledge.ingest import Step, ingest_paths
from frontdesk.knowledge.search import search
from tests.support.factories import make_site
from tests.support.knowledge_files import write_knowledge_folder


def _documents(db, site_id):
    with db.session() as session:
        rows = session.scalars(select(Document).where(Document.site_id == site_id)).all()
        return {Path(doc.source).name: doc for doc in rows}


def _chunk_count(db, site_id):
    with db.session() as session:
        return session.scalar(select(func.count()).where(Chunk.site_id == site_id))


def test_folder_ingest_reads_every_supported_file(db, tmp_path):
    site = make_site(db)
    folder = write_knowledge_folder(tmp_path / "kb")
    steps: list[Step] = []

    report = ingest_paths(db, site.id, [str(folder)], progress=steps.append)

    assert sorted(Path(p).name for p in report.added) == [
        "hours.html",
        "pricing.md",
        "privacy.pdf",
        "refunds.txt",
    ]
    assert report.failed == [] and report.unchanged == [] and report.updated == []
    assert report.unread == []
    docs = _documents(db, site.id)
    assert set(docs) == {"hours.html", "pricing.md", "privacy.pdf", "refunds.txt"}
    assert docs["pricing.md"].title == "Prices and packages"
    assert docs["pricing.md"].url == "https://studio.example/pricing"
    assert docs["hours.html"].title == "Opening hours and location"
    assert docs["privacy.pdf"].title == "Privacy notice"
    assert docs["refunds.txt"].title == "Refunds"
    assert docs["refunds.txt"].url == "" and docs["hours.html"].url == ""
    assert docs["pricing.md"].source == str((folder / "pricing.md").absolute())
    assert _chunk_count(db, site.id) >= 4
    assert [step.done for step in steps] == [1, 2, 3, 4, 5]
    assert {step.total for step in steps} == {5}
    # logo.png is passed over with the reason; the hidden draft is not even looked at.
    assert [(Path(p).name, why.split(" (")[0]) for p, why in report.skipped] == [
        ("logo.png", "unsupported file type .png")
    ]


def test_reingest_skips_unchanged_and_replaces_changed(db, tmp_path):
    site = make_site(db)
    folder = write_knowledge_folder(tmp_path / "kb")
    ingest_paths(db, site.id, [str(folder)])
    before = _documents(db, site.id)

    again = ingest_paths(db, site.id, [str(folder)])
    assert len(again.unchanged) == 4 and again.added == [] and again.updated == []

    pricing = folder / "pricing.md"
    pricing.write_text(
        pricing.read_text().replace("Hosting and maintenance", "Managed care for your website")
    )
    changed = ingest_paths(db, site.id, [str(folder)])
    assert [Path(p).name for p in changed.updated] == ["pricing.md"]
    assert len(changed.unchanged) == 3

    after = _documents(db, site.id)
    assert after["pricing.md"].id == before["pricing.md"].id
    assert after["pricing.md"].content_hash != before["pricing.md"].content_hash
    with db.session() as session:
        assert search(session, site.id, "hosting maintenance") == []
        found = search(session, site.id, "managed care")
    assert found and found[0].title == "Prices and packages"
    with db.session() as session:
        texts = session.scalars(select(Chunk.text).where(Chunk.site_id == site.id)).all()
    assert not any("Hosting and maintenance" in text for text in texts)


def test_failures_are_reported_and_do_not_stop_other_documents(db, tmp_path):
    site = make_site(db)
    good = tmp_path / "good.md"
    good.write_text("# Workshops\n\nOur workshops run for ninety minutes.")
    broken = tmp_path / "broken.pdf"
    broken.write_bytes(b"%PDF-1.4 this is not a real pdf")
    empty = tmp_path / "empty.txt"
    empty.write_text("   \n\n  ")
    unsupported = tmp_path / "notes.docx"
    unsupported.write_bytes(b"PK")

    report = ingest_paths(
        db,
        site.id,
        [str(broken), str(tmp_path / "missing.md"), str(empty), str(unsupported), str(good)],
    )

    reasons = {Path(source).name: reason for source, reason in report.failed}
    assert reasons["broken.pdf"].startswith("unreadable PDF")
    assert reasons["missing.md"] == "no such file or folder"
    assert reasons["empty.txt"] == "no text found"
    assert reasons["notes.docx"].startswith("unsupported file type")
    assert [Path(p).name for p in report.added] == ["good.md"]
    assert set(_documents(db, site.id)) == {"good.md"}
    assert report.summary() == "1 added, 0 updated, 0 unchanged, 4 failed, 0 skipped"
    # Each source named on its own that gave nothing is unread; the good one is not.
    assert [Path(p).name for p in report.unread] == [
        "broken.pdf",
        "missing.md",
        "empty.txt",
        "notes.docx",
    ]


def test_same_file_for_two_sites_is_two_documents(db, tmp_path):
    first, second = make_site(db), make_site(db)
    folder = write_knowledge_folder(tmp_path / "kb")
    ingest_paths(db, first.id, [str(folder / "pricing.md")])
    report = ingest_paths(db, second.id, [str(folder / "pricing.md")])
    assert len(report.added) == 1
    assert set(_documents(db, first.id)) == set(_documents(db, second.id)) == {"pricing.md"}


def test_prune_removes_files_gone_from_the_folder_and_only_from_that_folder(db, tmp_path):
    site = make_site(db)
    folder = write_knowledge_folder(tmp_path / "kb")
    other = tmp_path / "other.md"
    other.write_text("# Elsewhere\n\nA document from another folder.\n")
    ingest_paths(db, site.id, [str(folder), str(other)])
    (folder / "refunds.txt").unlink()
    (folder / "pricing.md").write_text("# Prices\n\nNew prices.\n")

    report = ingest_paths(db, site.id, [str(folder)], prune=True)

    assert [Path(source).name for source in report.removed] == ["refunds.txt"]
    assert [Path(source).name for source in report.updated] == ["pricing.md"]
    assert set(_documents(db, site.id)) == {"hours.html", "pricing.md", "privacy.pdf", "other.md"}
    with db.session() as session:
        assert search(session, site.id, "refund") == []
    missing = ingest_paths(db, site.id, [str(tmp_path / "nowhere")], prune=True)
    assert missing.removed == [] and len(_documents(db, site.id)) == 4
