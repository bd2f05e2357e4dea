"""A time chip pressed by a French visitor, over a real socket: the chip carries its words in
French (`text`), the visitor's message shows them (to every socket, on replay too), and the
engine still reads the English `value` it can parse."""

from __future__ import annotations

from datetime import date, timedelta

from frontdesk.assistant.offline.dialogue import booking_choice
from frontdesk.staff.inbox import plain_text

FRENCH_DAY = ("lun. ", "mar. ", "mer. ", "jeu. ", "ven. ", "sam. ", "dim. ")


def _slots_script(chat) -> None:
    start = (date.today() + timedelta(days=3)).isoformat()
    chat.llm.script(
        chat.llm.tool_calls(
            [("find_available_slots", {"service": "consult", "start_date": start})]
        ),
        chat.llm.text("Voici les horaires libres."),
        chat.llm.text("Très bien."),
    )


def test_a_french_visitors_time_chip_says_its_words_in_french(chat):
    _slots_script(chat)
    with chat.client() as client:
        conversation = client.hello(lang="fr-FR", tz="Europe/Paris")["conversation"]
        client.say("Je voudrais réserver")
        offer = client.expect("message", role="assistant")
        chip = offer["choices"][0]
        assert chip["value"].startswith("Book Consultation on ")  # what the engines parse
        assert chip["text"].startswith("Réserver Consultation le ")
        assert chip["text"][len("Réserver Consultation le ") :].startswith(FRENCH_DAY)
        assert chip["text"].endswith(f" à {chip['label']}")  # the same 24-hour clock as the chip
        client.send({"type": "action", "id": "pick-1", "name": "reply", "value": chip["value"]})
        client.expect("ack", id="pick-1")
        echo = client.expect("message", role="visitor", id="pick-1")
        assert echo["text"] == chip["text"]
        assert chip["text"] in echo["html"] and "Book" not in echo["html"]
        client.expect("message", role="assistant")
    chat.idle()
    visitor = [e for e in chat.entries(conversation, ("visitor",)) if e.client_id == "pick-1"][0]
    assert visitor.text == chip["value"] and visitor.payload["said"] == chip["text"]
    assert plain_text(visitor.text, "visitor", visitor.html) == chip["text"]  # the inbox's line
    last_request = chat.llm.chat_requests[-1]["messages"]
    said_to_model = [m["content"] for m in last_request if m["role"] == "user"]
    assert chip["value"] in said_to_model and chip["text"] not in said_to_model

    with chat.client() as again:  # the conversation read back: the visitor's words stay French
        welcome = again.hello(visitor=client.welcome["visitor"], conversation=conversation)
    replayed = [m for m in welcome["messages"] if m.get("id") == "pick-1"]
    assert replayed[0]["text"] == chip["text"]


def test_english_chips_have_no_text_and_unknown_values_are_shown_as_sent(chat):
    _slots_script(chat)
    with chat.client() as client:
        client.hello(lang="en-GB", tz="Europe/London")
        client.say("I'd like to book")
        offer = client.expect("message", role="assistant")
        assert offer["choices"] and all("text" not in chip for chip in offer["choices"])
        # A value no chip offered (an old widget's, a hand-made frame) is shown as it was sent.
        client.send({"type": "action", "id": "odd", "name": "reply", "value": "Something else"})
        echo = client.expect("message", role="visitor", id="odd")
        assert echo["text"] == "Something else"


def test_the_offline_engines_booking_chips_name_the_booking_in_the_visitors_words():
    booking = {"start": "2030-03-05T13:00:00Z", "service": "Consultation", "booking_id": "bk_1"}
    chip = booking_choice(booking, "Cancel", "Europe/Paris", "fr")
    assert chip.value == "Cancel booking bk_1"  # what the engine reads back
    assert chip.label == "Annuler Consultation · mar. 5 mars 14:00"
    assert chip.text == "Annuler ma réservation Consultation du mar. 5 mars 14:00"
    english = booking_choice(booking, "Reschedule", "Europe/London", "en-GB")
    assert (english.label, english.text) == ("Reschedule Consultation · Tue 5 Mar 13:00", "")
