"""The visitor's language: the fallback chain, the server's words, the offline engine's notice
when a visitor writes in a language it does not speak, the LLM's instruction, French cards."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from frontdesk import i18n
from frontdesk.assistant.base import HistoryEntry, Turn
from frontdesk.assistant.llm.prompts import system_prompt
from frontdesk.assistant.offline import language_notice
from frontdesk.assistant.offline.engine import OfflineEngine
from frontdesk.assistant.tools import cards
from frontdesk.db.models import Site
from frontdesk.i18n.language import detect
from tests.support.answers_conversation import Recorder
from tests.support.assistant_tools import NOW, make_tools
from tests.support.conversations import conversation_status

REVIEWED = {"en", "fr", "de", "es", "nl", "pt", "it"}


@pytest.mark.parametrize(
    "tag, code",
    [("fr", "fr"), ("fr-CA", "fr"), ("FR_ch", "fr"), ("pt-BR", "pt"), ("de-AT", "de"),
     ("en-GB", "en"), ("zh-Hant-TW", "en"), ("", "en"), (None, "en"), ("x" * 16, "en")],
)  # fmt: skip
def test_a_tag_falls_back_by_its_base_language_then_to_english(tag, code):
    assert i18n.resolve(tag) == code


def test_every_reviewed_language_has_all_of_the_servers_words():
    assert i18n.languages() >= REVIEWED
    english = json.loads((i18n.FOLDER / "en.json").read_text("utf-8"))
    for code in i18n.languages():
        table = json.loads((i18n.FOLDER / f"{code}.json").read_text("utf-8"))
        assert set(table) == set(english), code
        assert "{city}" in table["zoneTime"], code


def test_words_are_filled_in_and_a_chip_of_another_language_reads_as_english():
    assert i18n.text("fr-CA", "zoneTime", city="Montréal") == "heure de Montréal"
    assert i18n.text("ja", "confirm") == "Confirm"
    said = i18n.text("es", "humanValue")
    assert i18n.english_equivalent(f"  {said.upper()} ") == "I'd like to talk to a person"
    assert i18n.english_equivalent("I'd like to talk to a person please") is None
    assert i18n.english_equivalent("Je voudrais modifier cela") == "I'd like to change that"
    assert i18n.english_equivalent("Mantengo mi reserva") == "I'll keep my booking"


@pytest.mark.parametrize(
    "text, hint, code",
    [
        ("Quels sont vos tarifs pour un site ?", None, "fr"),
        ("Bonjour, vos tarifs ?", "fr-FR", "fr"),  # one French word, and the page is French
        ("Bonjour, vos tarifs ?", "en", ""),
        ("how much dose a websit cost", "fr", "en"),  # English with typos: never French
        ("prix", "fr", ""),
        # English with Portuguese-looking words ("a", "as") stays English
        ("cost of just a basic safety check before a ride", None, "en"),
        ("would you come as far as greystones", None, "en"),
        ("cost to pull out a tooth thats not a wisdom tooth", None, "en"),
        ("a consulta é grátis?", None, "pt"),
    ],
)
def test_which_language_a_message_is_in(text, hint, code):
    assert detect(text, hint=hint) == code


@pytest.mark.parametrize(
    "text, lang, code",
    [
        ("Bonjour, quels sont vos tarifs pour un site ?", "en", "fr"),
        ("Bonjour, vos tarifs ?", "fr-CA", "fr"),
        ("Wie viel kostet eine Website für uns?", "en", "de"),
        # English with words other languages share: never a notice (bench/answers.py cases).
        ("cost of just a basic safety check before a ride", "en", ""),
        ("cost to pull out a tooth thats not a wisdom tooth", "pt", ""),
        ("would you come as far as greystones", "it", ""),
        ("e bike service price", "it", ""),
        ("Bonjour, can you build a shop?", "fr", ""),  # English words: answer in English
    ],
)
def test_the_notice_needs_a_message_surely_not_in_english(text, lang, code):
    assert language_notice.foreign(text, lang) == code


class FrenchVisitor:
    """A visitor on a French page talking to the offline engine, with the transcript so far."""

    def __init__(self, db, site) -> None:
        self.site, self.tools = site, make_tools(db, site)
        self.state: dict = {}
        self.history: list[HistoryEntry] = []

    def say(self, text: str) -> dict:
        """One turn, as chat.turns gives it (lang from the hello), and its one reply."""
        out = Recorder()
        turn = Turn(
            site=self.site, conversation_id=self.tools.conversation_id,
            visitor_id=self.tools.visitor_id, visitor_tz=self.tools.visitor_tz, page={},
            now=NOW, text=text, history=list(self.history), state=self.state, tools=self.tools,
            out=out, lang="fr-FR",
        )  # fmt: skip
        OfflineEngine().respond(turn)
        (reply,) = out.messages
        self.history += [HistoryEntry("visitor", text), HistoryEntry("assistant", reply["text"])]
        return reply


def test_the_offline_engine_says_once_in_french_that_it_speaks_english(db, site):
    visitor = FrenchVisitor(db, site)
    reply = visitor.say("Bonjour, quels sont vos tarifs pour un site ?")
    assert reply["text"].startswith("Je ne peux répondre qu'en anglais ici.")
    assert [c.label for c in reply["choices"]] == ["Parler à une personne"]
    again = visitor.say("Et pour une boutique en ligne, c'est combien ?")
    assert "anglais" not in again["text"]  # said once: then it does what it can
    person = visitor.say(reply["choices"][0].value)  # the French chip hands over
    assert "let the team know" in person["text"]
    assert conversation_status(db, visitor.tools.conversation_id) == "needs_human"


def test_english_on_a_french_page_gets_english_answers(db, site):
    reply = FrenchVisitor(db, site).say("how much dose a websit cost?")
    assert "anglais" not in reply["text"] and "only answer in English" not in reply["text"]


def test_the_llm_is_told_to_answer_in_the_visitors_language():
    site = Site(name="Studio", timezone="Europe/Paris", profile="")
    text = system_prompt(site, now=NOW, visitor_tz="UTC", page=None, lang="fr-CA")
    assert "The visitor's page language is French (Canada)." in text
    assert "Answer in the language the visitor writes in" in text
    # The tag comes from the visitor: one CLDR does not know never reaches the prompt.
    hostile = system_prompt(site, now=NOW, visitor_tz="UTC", page=None, lang="ignore-all")
    assert "ignore" not in hostile and "page language" not in hostile


def test_cards_in_french_and_german():
    start = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
    end = start + timedelta(minutes=30)
    card = cards.proposal_card(
        "book", "pr_1", service="Audit", start=start, end=end, visitor_tz="Europe/Paris",
        business_tz="America/New_York", name="Ada", email="ada@example.com", lang="fr",
    )  # fmt: skip
    assert [a["label"] for a in card["actions"]] == ["Confirmer", "Modifier"]
    assert "(heure de Paris)" in card["visitor_time"]
    assert "(heure de New York)" in card["business_time"]
    cancel = cards.proposal_card(
        "cancel", "pr_2", service="Audit", start=start, end=end, visitor_tz="Europe/Paris",
        business_tz="Europe/Paris", name="Ada", email="ada@example.com", lang="de",
    )  # fmt: skip
    assert [a["label"] for a in cancel["actions"]] == ["Buchung stornieren", "Buchung behalten"]
