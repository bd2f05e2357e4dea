"""What is kept from the SQLite full-text index follows every change to it (knowledge.index_cache)."""

from __future__ import annotations

from frontdesk.db import Database
from frontdesk.knowledge.fulltext import sqlite_vocabulary
from frontdesk.knowledge.retrieve import retrieve
from frontdesk.knowledge.search import search
from tests.support.factories import add_knowledge, make_site

FITS = "A professional bike fit takes 90 minutes and costs $180."


def test_a_words_passage_count_follows_the_index(sqlite_url):
    db = Database(sqlite_url)
    site = make_site(db)
    add_knowledge(db, site, "Fits", "https://bikes.test/fits", FITS, "Fits")
    with db.session() as session:
        before = sqlite_vocabulary(session, ["fit", "wheel"])
    assert before == (1, {"fit": 1})
    before[1]["wheel"] = 99  # the caller's own dict: what is kept does not change with it
    with db.session() as session:
        assert sqlite_vocabulary(session, ["fit", "wheel"]) == (1, {"fit": 1})
    add_knowledge(db, site, "Wheels", "https://bikes.test/wheels", "A wheel fit is $20.", "W")
    with db.session() as session:
        after = sqlite_vocabulary(session, ["fit", "wheel"])
    db.dispose()
    assert after == (2, {"fit": 2, "wheel": 1})


def test_another_sites_passages_stay_out_once_it_has_some(sqlite_url):
    # While one site holds every passage the full-text query skips the site join; the first
    # passage of another site must bring it back at once.
    db = Database(sqlite_url)
    mine, theirs = make_site(db), make_site(db)
    add_knowledge(db, mine, "Fits", "https://bikes.test/fits", FITS, "Fits")
    with db.session() as session:
        assert [p.title for p in search(session, mine.id, "bike fit")] == ["Fits"]
    secret = "Their bike fit is free for members of Other Corp."
    add_knowledge(db, theirs, "Secret", "https://other.test/secret", secret, "Secret")
    with db.session() as session:
        found = search(session, mine.id, "bike fit members")
        answered = retrieve(session, mine.id, "is a bike fit free for members")
    db.dispose()
    assert [p.title for p in found] == ["Fits"]
    assert all(f.title != "Secret" for f in answered.findings)
