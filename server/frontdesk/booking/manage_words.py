"""The manage page's language and words: the language the visitor chatted in when the booking
came from the widget (as its e-mails use), else the browser's Accept-Language, else English;
booking errors put in that language."""

from __future__ import annotations

from collections.abc import Callable

from flask import request

from frontdesk import i18n
from frontdesk.booking.errors import BookingError, NotAllowed, SlotTaken
from frontdesk.booking.lookups import stored_lang
from frontdesk.db.models import Booking
from frontdesk.db.models.booking import CANCELLED
from frontdesk.extensions import get_db


def browser_lang() -> str:
    """The first Accept-Language tag (by quality) of a language we have words for, kept whole
    ("en-GB", "fr-CA") so the clock style follows the region; "en" when none is."""
    for tag, _quality in request.accept_languages:
        base = tag.split("-")[0].split("_")[0].lower()
        if base in i18n.languages():
            return tag
    return i18n.DEFAULT


def page_lang(booking: Booking | None) -> str:
    """The language of a manage page: the booking's conversation's, else the browser's."""
    if booking is not None:
        with get_db().session() as session:
            stored = stored_lang(session, booking)
        if stored:
            return stored
    return browser_lang()


def words(lang: str) -> Callable[..., str]:
    """`t("manageName")` for templates: our sentences in `lang`, placeholders filled."""

    def t(key: str, /, **values: str) -> str:
        return i18n.text(lang, key, **values)

    return t


def error_words(exc: BookingError, booking: Booking, lang: str) -> str:
    """A booking error for the visitor: in English the service's own sentence (it names the
    notice period or horizon), in other languages its kind in their words."""
    if i18n.is_english(lang):
        return str(exc)
    if isinstance(exc, SlotTaken):
        return i18n.text(lang, "manageErrTaken")
    if isinstance(exc, NotAllowed):
        return closed_words(booking, lang)
    if exc.field == "start":
        return i18n.text(lang, "manageErrTime")
    return i18n.text(lang, "manageErrOther")


def closed_words(booking: Booking, lang: str) -> str:
    """Why a booking can't be changed any more: cancelled, or already begun."""
    name = "manageCancelledText" if booking.status == CANCELLED else "managePastText"
    return i18n.text(lang, name)
