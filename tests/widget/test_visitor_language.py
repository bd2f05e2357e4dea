"""A visitor on a French page: the widget's words, the server's chips, day names and booking
cards in French, end to end (real server and offline engine, Debian's Chromium)."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from tests.support.demo_server import demo_server
from tests.support.widget_page import HOST, LOG, axe_violations, wait_launcher, wait_state

pytestmark = [pytest.mark.browser, pytest.mark.slow]

# A French day as CLDR abbreviates it: "mar. 8 déc." (never "Tue 8 Dec").
FRENCH_DAY = re.compile(r"^(lun|mar|mer|jeu|ven|sam|dim)\. \d{1,2} \w+")


@pytest.fixture
def demo(sqlite_url: str, tmp_path: Path):
    """The demo business on a real server process, and host pages on another origin."""
    with demo_server(sqlite_url, tmp_path) as server:
        yield server


@pytest.fixture
def paris(browser):
    """A page of a browser in Paris (its zone; the page's lang says French)."""
    context = browser.new_context(
        viewport={"width": 1280, "height": 860}, timezone_id="Europe/Paris"
    )
    tab = context.new_page()
    tab.errors = []
    tab.on("pageerror", lambda error: tab.errors.append(str(error)))
    yield tab
    context.close()


def shots(tmp_path: Path) -> Path:
    """Where screenshots go: FRONTDESK_SHOTS when set (to look at them), else the test's tmp."""
    folder = Path(os.environ.get("FRONTDESK_SHOTS") or tmp_path)
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def replies(page) -> int:
    return page.locator(f"{LOG} .fd-msg:not(.fd-visitor)").count()


def wait_for_reply(page, before: int) -> None:
    page.wait_for_function(
        f"{HOST}.shadowRoot.querySelectorAll('.fd-log .fd-msg:not(.fd-visitor)').length > {before}",
        timeout=30000,
    )


def shadow(page, script: str):
    return page.evaluate(f"(() => {{ const r = {HOST}.shadowRoot; return {script}; }})()")


def open_french_page(page, demo) -> None:
    page.goto(f"{demo.host.url}/settings.html?lang=fr-CA")
    wait_launcher(page)
    assert page.locator("frontdesk-widget .fd-launcher").inner_text().strip() == (
        "Discuter avec nous"
    )
    page.locator("frontdesk-widget .fd-launcher").click()
    wait_state(page, "open")
    page.wait_for_function(
        f"{HOST}.shadowRoot.querySelector('.fd-panel')?.dataset.connection === 'online'",
        timeout=20000,
    )


def book_in_french(page, folder: Path) -> None:
    """The French starter chip, then times, name, e-mail, "Modifier" once (back to the times)
    and "Confirmer" (bounded)."""
    before = replies(page)
    page.locator("frontdesk-widget .fd-chip", has_text="Réserver une consultation").click()
    wait_for_reply(page, before)
    changed = False
    for _ in range(12):
        reply = page.locator(f"{LOG} .fd-msg:not(.fd-visitor)").last
        if reply.locator(".fd-card-booking_confirmed").count():
            return
        before = replies(page)
        confirm = reply.get_by_role("button", name="Confirmer")
        chips = page.locator("frontdesk-widget .fd-chip")
        if confirm.count() and not changed:  # "Modifier" first: said for the visitor in French
            reply.get_by_role("button", name="Modifier").click()
            said = page.locator(f"{LOG} .fd-visitor .fd-bubble").last
            said.filter(has_text="Je voudrais modifier cela").wait_for()
            changed = True
        elif confirm.count():
            assert reply.locator(".fd-card-title").inner_text() == (
                "Merci de confirmer votre réservation"
            )
            confirm.click()
        elif re.search(r"\bname\b", reply.inner_text(), re.I):
            page.locator("frontdesk-widget .fd-input").fill("Ada Lovelace")
            page.keyboard.press("Enter")
        elif re.search(r"e-?mail", reply.inner_text(), re.I):
            page.locator("frontdesk-widget .fd-input").fill("ada@example.com")
            page.keyboard.press("Enter")
        else:
            groups = page.locator("frontdesk-widget .fd-chip-group").all_inner_texts()
            if groups:  # free times: grouped under French day names, the zone said in French
                assert all(FRENCH_DAY.match(group) for group in groups), groups
                assert groups[0].endswith(" · heure de Paris"), groups[0]
                page.screenshot(path=str(folder / "french-times-1280.png"))
            chips.first.click()
            if groups:  # the time said back in French words, not the engine's English
                said = page.locator(f"{LOG} .fd-visitor .fd-bubble").last
                said.filter(has_text=re.compile(r"^(Réserver|Déplacer) .+ à \d")).wait_for()
                assert "Book" not in said.inner_text()
                page.screenshot(path=str(folder / "french-time-said-1280.png"))
        wait_for_reply(page, before)
    raise AssertionError("no confirmed booking after twelve steps")


def test_a_french_page_gets_the_widget_chips_days_and_cards_in_french(paris, demo, tmp_path):
    page = paris
    open_french_page(page, demo)
    assert shadow(page, "r.querySelector('.fd-input').placeholder") == "Écrivez votre message…"
    assert shadow(page, "r.querySelector('.fd-send').getAttribute('aria-label')") == "Envoyer"
    assert shadow(page, "r.querySelector('.fd-close').getAttribute('aria-label')") == (
        "Fermer la discussion"
    )
    status = page.locator("frontdesk-widget .fd-status").inner_text()
    assert status.startswith(("En ligne", "Nous sommes fermés")), status
    chips = page.locator("frontdesk-widget .fd-chip").all_inner_texts()
    assert chips[:2] == ["Réserver une consultation", "Parler à une personne"]
    folder = shots(tmp_path)
    page.screenshot(path=str(folder / "french-start-1280.png"))

    book_in_french(page, folder)
    card = page.locator(f"{LOG} .fd-card-booking_confirmed")
    said = page.locator(f"{LOG} .fd-msg:has(.fd-card-booking_confirmed) .fd-bubble").inner_text()
    assert said.startswith("C'est réservé : "), said  # the server's words around the card
    assert card.locator(".fd-card-title").inner_text() == "Réservation confirmée"
    labels = card.locator("dt").all_inner_texts()
    assert labels[:2] == ["Prestation", "Quand"], labels
    assert FRENCH_DAY.match(card.locator("dd").nth(1).inner_text())
    assert card.get_by_role("link", name="Ajouter au calendrier").count() == 1
    assert card.get_by_role("link", name="Gérer la réservation").count() == 1
    assert page.locator(f"{LOG} .fd-sr", has_text="Vous").count() >= 1  # who said it, in French
    assert axe_violations(page) == []
    page.screenshot(path=str(folder / "french-booked-1280.png"))
    page.set_viewport_size({"width": 390, "height": 844})
    page.screenshot(path=str(folder / "french-booked-390.png"))
    assert page.errors == []


def test_english_and_unknown_languages_keep_english_words(page, demo):
    page.goto(f"{demo.host.url}/settings.html?lang=zh-TW")
    wait_launcher(page)
    assert page.locator("frontdesk-widget .fd-launcher").inner_text().strip() == "Chat with us"
    page.locator("frontdesk-widget .fd-launcher").click()
    wait_state(page, "open")
    page.wait_for_function(
        f"{HOST}.shadowRoot.querySelector('.fd-panel')?.dataset.connection === 'online'",
        timeout=20000,
    )
    assert shadow(page, "r.querySelector('.fd-input').placeholder") == "Type your message…"
    chips = page.locator("frontdesk-widget .fd-chip").all_inner_texts()
    assert chips[:2] == ["Book a consultation", "Talk to a person"]
