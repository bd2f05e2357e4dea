"""Times in words: one clock style per locale, zones named as people say them, the business's
time beside the visitor's only when their zones differ; the booking e-mails use them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from email import message_from_bytes, policy

import pytest
from sqlalchemy import select

from frontdesk.booking import time_words as words
from frontdesk.booking.email import Mailer
from frontdesk.booking.smtp import SmtpSettings
from frontdesk.booking.zones import zone_label, zones_differ
from frontdesk.db.models import Conversation, OutboxEmail
from tests.support.bookings import book, make_bookings
from tests.support.conversations import make_conversation

EVENING = datetime(2026, 12, 9, 23, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("name", "said"),
    [
        ("America/New_York", "New York time"),
        ("Europe/London", "London time"),
        ("America/Argentina/Buenos_Aires", "Buenos Aires time"),
        ("UTC", "UTC"),
        ("Etc/GMT+5", "GMT+5"),
        (None, "UTC"),
    ],
)
def test_zones_are_named_as_people_say_them(name, said):
    assert zone_label(name) == said


def test_zones_differ_by_their_clocks_not_their_names():
    assert not zones_differ("Europe/London", "Europe/London")
    assert not zones_differ("Europe/Lisbon", "Europe/London")  # same clock all year
    assert zones_differ("Europe/London", "Europe/Paris")
    assert zones_differ("Australia/Sydney", "Australia/Brisbane")  # only in summer


@pytest.mark.parametrize(
    ("lang", "twelve"),
    [
        ("en", True),
        ("en-US", True),
        ("en_AU", True),
        ("en-GB", False),
        ("en-IE", False),
        ("fr", False),
        ("de-DE", False),
        ("fr-CA", False),
        ("hi-IN", True),
        ("ko", True),
        (None, True),
    ],
)
def test_one_clock_style_per_locale(lang, twelve):
    assert words.uses_12_hour(lang) is twelve
    said = words.clock(EVENING.astimezone(words.zone_or_utc("Europe/London")), lang)
    assert said == ("11:00 pm" if twelve else "23:00")


def test_spans_and_the_business_time_beside():
    end = EVENING + timedelta(minutes=30)
    assert words.span(EVENING, end, "America/New_York", "en-US") == (
        "Wed 9 Dec 2026, 6:00–6:30 pm (New York time)"
    )
    assert words.span(EVENING, end, "Europe/Berlin", "en-GB") == (
        "Thu 10 Dec 2026, 00:00–00:30 (Berlin time)"
    )
    assert words.beside(EVENING, "America/New_York", "Europe/London", "en-GB") == (
        "23:00 London time"
    )
    assert words.beside(EVENING, "America/New_York", "Europe/Berlin", "en-US") == (
        "Thu 10 Dec, 12:00 am Berlin time"  # another day there: the day is said
    )
    assert words.beside(EVENING, "Europe/Paris", "Europe/Berlin", "en") == ""


def test_visitor_email_in_their_language_with_the_business_time_beside(db, site):
    mailer = Mailer(db, SmtpSettings("127.0.0.1", 1, "plain"), mail_from="desk@studio.test")
    bookings = make_bookings(db, mailer)
    conversation = make_conversation(db, site, texts=[("visitor", "hallo")])
    with db.transaction() as session:
        session.get(Conversation, conversation.id).lang = "de-DE"
    made = book(bookings, site, visitor_tz="Europe/Berlin", conversation_id=conversation.id)
    with db.session() as session:
        mails = {
            row.recipient: message_from_bytes(row.message, policy=policy.default)
            for row in session.scalars(select(OutboxEmail))
        }
    visitor = mails["ada@example.com"].get_body(("plain",)).get_content()
    local = made.booking.start.astimezone(words.zone_or_utc("Europe/Berlin"))
    day = words.long_day(local, "de")  # "Montag, 7. Dezember 2026"
    assert mails["ada@example.com"]["Subject"].startswith("Buchung bestätigt: ")
    assert visitor.startswith("Hallo Ada Lovelace,")
    assert f"ist gebucht für {day}, {local:%H:%M} (Zeit in Berlin)." in visitor  # 24-hour
    assert "Zeit in Sydney für Test Studio." in visitor
    assert "Verschieben oder stornieren: http" in visitor
    assert "Europe/Berlin" not in visitor and "Australia/Sydney" not in visitor
    # The business's own notification stays in English.
    staff = mails[site.notification_email].get_body(("plain",)).get_content()
    assert staff.startswith("New booking: ")


@pytest.mark.parametrize(
    "lang, short, long, zone",
    [
        ("fr-CA", "jeu. 10 déc.", "jeudi 10 décembre 2026", "heure de New York"),
        ("de", "Do., 10. Dez.", "Donnerstag, 10. Dezember 2026", "Zeit in New York"),
        ("es", "jue, 10 dic", "jueves, 10 de diciembre de 2026", "hora de Nueva York"),
        ("nl", "do 10 dec", "donderdag 10 december 2026", "tijd in New York"),
        ("pt-BR", "qui., 10 de dez.", "quinta-feira, 10 de dezembro de 2026", "hora de Nova York"),
        ("it", "gio 10 dic", "giovedì 10 dicembre 2026", "ora di New York"),
        ("zh", "Thu 10 Dec", "Thursday 10 December 2026", "New York time"),  # no words: English
    ],
)
def test_days_months_and_zones_in_the_readers_language(lang, short, long, zone):
    day = EVENING.astimezone(words.zone_or_utc("Europe/Berlin"))
    assert words.short_day(day, lang) == short
    assert words.long_day(day, lang) == long
    assert words.zone_label("America/New_York", lang) == zone


def test_a_french_span_and_the_business_time_beside_it():
    end = EVENING + timedelta(minutes=30)
    assert words.span(EVENING, end, "Europe/Paris", "fr") == (
        "jeu. 10 déc. 2026, 00:00–00:30 (heure de Paris)"
    )
    assert words.beside(EVENING, "America/New_York", "Europe/London", "fr") == (
        "23:00 heure de Londres"
    )
    assert words.moment_words(EVENING, "Europe/Paris", "fr") == (
        "jeudi 10 décembre 2026, 00:00 (heure de Paris)"
    )
