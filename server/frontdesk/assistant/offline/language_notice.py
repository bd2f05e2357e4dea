"""The offline engine speaks English only. A visitor who writes in another language is told so
once, plainly and in their language, with the chip that brings a person (who can help in it),
rather than getting an English answer matched on words it did not understand."""

from __future__ import annotations

from frontdesk import i18n
from frontdesk.assistant.base import Choice, Turn
from frontdesk.assistant.offline.dialogue import Reply
from frontdesk.i18n import language


def understood(text: str) -> str:
    """A chip we wrote in another language read as its English words (the starter chips), so
    "Je voudrais parler à une personne" hands over like "I'd like to talk to a person"."""
    return i18n.english_equivalent(text) or text


def notice(turn: Turn, text: str) -> Reply | None:
    """The English-only notice in the language the visitor writes in, or None: the message is
    English (or too short to tell), the language is not one we have words for, or the
    conversation already had the notice."""
    written = foreign(text, turn.lang)
    if not written:
        return None
    said = {i18n.text(code, "englishOnly") for code in i18n.languages()}
    if any(entry.role == "assistant" and entry.text in said for entry in turn.history):
        return None
    person = Choice(i18n.text(written, "human"), "reply", i18n.text(written, "humanValue"))
    return Reply(i18n.text(written, "englishOnly"), [person])


def foreign(text: str, lang: str | None) -> str:
    """The language a message is written in when it is surely not English, else "". Stricter
    than language.detect: an English question must never get the notice, so any of English's
    common words rules it out, and one-letter words ("a", "e", "o": English too) don't count;
    two words of the language are needed (one when the page's `lang` is that language)."""
    written = language.detect(text, hint=lang)
    if written == i18n.DEFAULT or written not in i18n.languages():
        return ""
    words = [word.lower() for word in language.WORD.findall(text)]
    if any(word in language.STOPWORDS[i18n.DEFAULT] for word in words):
        return ""
    hits = sum(len(word) > 1 and word in language.STOPWORDS[written] for word in words)
    return written if hits >= (1 if language.base(lang or "") == written else 2) else ""
