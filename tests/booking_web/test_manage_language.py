"""The manage page in the visitor's language on a real server: the language of the conversation
the booking was made in, else the browser's Accept-Language; words, dates (CLDR), the clock
and the form's errors all follow it."""

from __future__ import annotations

import re
from datetime import datetime
from zoneinfo import ZoneInfo

import requests
from babel.dates import format_date

from tests.support.bookings import book
from tests.support.conversations import make_conversation
from tests.support.forms import csrf_from

SLOT_RE = re.compile(r'name="slot" value="([^"]+)"')
NEW_YORK = "America/New_York"


def _get(session: requests.Session, url: str, lang: str | None = None) -> requests.Response:
    headers = {"Accept-Language": lang} if lang else {}
    return session.get(url, headers=headers, timeout=10)


def test_accept_language_french_gets_a_french_page_and_errors(live_server, app_bookings, site):
    result = book(app_bookings, site, visitor_tz=NEW_YORK)
    url = f"{live_server.url}/b/{result.manage_token}"
    browser = requests.Session()
    page = _get(browser, url, "fr-FR,fr;q=0.9,en;q=0.5")
    html = page.text

    assert page.status_code == 200
    assert '<html lang="fr">' in html
    assert "Votre réservation chez Test Studio" in html  # the title
    assert "Confirmée" in html and "Votre heure" in html and "Heure de Test Studio" in html
    assert "Oui, annuler ma réservation" in html and "Déplacer ma réservation" in html
    assert "heure de New York" in html and "heure de Sydney" in html
    local = result.booking.start.astimezone(ZoneInfo(NEW_YORK))
    assert format_date(local, "full", locale="fr") in html  # "jeudi 4 mars 2030", from CLDR
    assert f"{local:%H:%M}" in html and " pm" not in html  # the 24-hour clock French reads
    for english in ("Confirmed", "Your time", "Reschedule", "Cancel this booking", "Book"):
        assert english not in html, english

    form = {"csrf_token": csrf_from(html), "slot": "not a time"}
    headers = {"Accept-Language": "fr"}
    wrong = browser.post(f"{url}/reschedule", data=form, headers=headers, timeout=10)
    assert wrong.status_code == 400
    assert "Veuillez choisir l’un des horaires libres." in wrong.text

    bad_day = _get(browser, f"{url}?day=31-31-2030", "fr")
    assert bad_day.status_code == 400 and "utilisez le format AAAA-MM-JJ" in bad_day.text

    expired = browser.post(f"{url}/cancel", data={}, headers=headers, timeout=10)
    assert expired.status_code == 400 and "Ce formulaire a expiré" in expired.text

    cancelled = browser.post(
        f"{url}/cancel", data={"csrf_token": form["csrf_token"]}, headers=headers, timeout=10
    )
    assert cancelled.status_code == 200  # followed the redirect back to the page
    assert "Votre réservation a été annulée." in cancelled.text
    assert "Réserver à nouveau" in cancelled.text and "Annulée" in cancelled.text
    again = browser.post(f"{url}/cancel", data=form, headers=headers, timeout=10)
    assert again.status_code == 409 and "Cette réservation est annulée" in again.text


def test_the_conversations_language_wins_over_the_browsers(live_server, app_bookings, site, db):
    conversation = make_conversation(db, site)
    with db.transaction() as session:
        session.get(type(conversation), conversation.id).lang = "de-CH"
    result = book(app_bookings, site, visitor_tz=NEW_YORK, conversation_id=conversation.id)
    url = f"{live_server.url}/b/{result.manage_token}"
    html = _get(requests.Session(), url, "fr").text
    assert '<html lang="de">' in html
    assert "Ihre Buchung bei Test Studio" in html and "Bestätigt" in html
    local = result.booking.start.astimezone(ZoneInfo(NEW_YORK))
    assert format_date(local, "full", locale="de") in html
    assert "Votre" not in html


def test_english_stays_the_default_and_a_bad_link_follows_the_browser(
    live_server, app_bookings, site
):
    result = book(app_bookings, site)
    url = f"{live_server.url}/b/{result.manage_token}"
    browser = requests.Session()
    for header in (None, "ja", "en-GB"):
        html = _get(browser, url, header).text
        assert '<html lang="en">' in html and "Confirmed" in html and "Reschedule" in html
    assert re.search(r"\b\d{1,2}:\d\d [ap]m\b", _get(browser, url).text)  # "en": 12-hour
    assert not re.search(r"\b\d{1,2}:\d\d [ap]m\b", _get(browser, url, "en-GB").text)

    missing = _get(browser, f"{live_server.url}/b/not-a-token", "es-ES,es;q=0.8")
    assert missing.status_code == 404
    assert "Este enlace de reserva no es válido" in missing.text
    assert '<html lang="es">' in missing.text


def test_an_italian_visitor_reads_a_taken_time_in_italian(live_server, app_bookings, site):
    mine = book(app_bookings, site, visitor_tz=NEW_YORK)
    url = f"{live_server.url}/b/{mine.manage_token}"
    browser = requests.Session()
    html = _get(browser, url, "it").text
    slot = SLOT_RE.search(html).group(1)
    other = book(
        app_bookings, site, start=datetime.fromisoformat(slot), email="bea@example.com", name="Bea"
    )
    assert other.created
    form = {"csrf_token": csrf_from(html), "slot": slot}
    taken = browser.post(
        f"{url}/reschedule", data=form, headers={"Accept-Language": "it"}, timeout=10
    )
    assert taken.status_code in (400, 409)
    assert "orario è appena stato preso" in taken.text and '<html lang="it">' in taken.text
