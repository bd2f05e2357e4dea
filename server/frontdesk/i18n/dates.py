"""Day, month and zone names, and lists of names, in the visitor's language, from Babel's CLDR
data (no hand-written month tables). English keeps the house style ("Tue 8 Dec", "New York time") that chips, cards,
e-mails and the engines' own parsing share."""

from __future__ import annotations

from contextlib import suppress
from datetime import datetime

from frontdesk import i18n

# Babel is imported by the functions that reach it (English never does): ~20 ms of
# every start; a serving process loads it on its warm-up thread (frontdesk.warm_up).


def short_day(moment: datetime, lang: str | None = None, *, year: bool = False) -> str:
    """ "Tue 8 Dec" ("mar. 8 déc.", "Di., 8. Dez."); with year: "Tue 8 Dec 2026"."""
    code = i18n.resolve(lang)
    if code == i18n.DEFAULT:
        return f"{moment:%a} {moment.day} {moment:%b}" + (f" {moment:%Y}" if year else "")
    from babel.dates import format_skeleton

    return format_skeleton("yMMMEd" if year else "MMMEd", moment, locale=code)


def long_day(moment: datetime, lang: str | None = None) -> str:
    """ "Tuesday 8 December 2026" ("mardi 8 décembre 2026", "Dienstag, 8. Dezember 2026")."""
    code = i18n.resolve(lang)
    if code == i18n.DEFAULT:
        return f"{moment:%A} {moment.day} {moment:%B %Y}"
    from babel.dates import format_date

    return format_date(moment, "full", locale=code)


def city_time(key: str, city: str, lang: str | None = None) -> str:
    """A zone named by its city: "New York time", "heure de New York", "hora de Nueva York"."""
    code = i18n.resolve(lang)
    if code != i18n.DEFAULT:
        from babel.dates import get_timezone_location

        with suppress(LookupError):  # a zone CLDR doesn't know keeps the city of its name
            city = get_timezone_location(key, locale=code, return_city=True)
    return i18n.text(code, "zoneTime", city=city)


def names_list(names: list[str], lang: str | None = None) -> str:
    """ "Mia and Tom" ("Mia et Tom", "Mia, Tom und Ana"); English keeps "A and B and C"."""
    code = i18n.resolve(lang)
    if code == i18n.DEFAULT or not names:
        return " and ".join(names)
    from babel.lists import format_list

    return format_list(names, locale=code)
