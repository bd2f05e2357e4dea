"""What a time chip says for the visitor when pressed, in their language ("Réserver Consultation
le mar. 1 déc. 2026 à 10:00"): the chip's `text`, shown as their message, while its `value`
stays the English form the engines parse. English chips need none: their value reads well."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from frontdesk import i18n
from frontdesk.booking import time_words


def slot_said(name: str, start: datetime, tz: str, lang: str | None, **names: str) -> str:
    """The sentence `name` (chipBook, chipBookWith, chipMoveTo) for a slot in the visitor's zone
    and language, with its day (CLDR, with the year) and clock; "" for an English visitor."""
    if i18n.is_english(lang):
        return ""
    local = start.astimezone(ZoneInfo(tz))
    day = time_words.short_day(local, lang, year=True)
    return i18n.text(lang, name, day=day, time=time_words.clock(local, lang), **names)
