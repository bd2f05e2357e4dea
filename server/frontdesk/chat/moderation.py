"""Per-site moderation of visitor messages: blocked terms, PII redaction, provider moderation.

`site.moderation` = {"mode": "off" | "local" | "provider", "blocked_terms": [...],
"redact_pii": bool}. Redaction applies to what is STORED (transcripts, dashboard); the check
decides whether the assistant answers at all.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field
from typing import Any

log = logging.getLogger(__name__)

MODES = ("off", "local", "provider")

_EMAIL = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+")
# 13-19 digits, optionally split by single spaces or dashes: card numbers (checked with Luhn).
_CARD = re.compile(r"(?<![\d-])\d(?:[ -]?\d){12,18}(?![\d-])")
# Phone numbers: an optional +, then 8-15 digits with common separators.
_PHONE = re.compile(r"(?<![\w+])\+?\(?\d[\d ().-]{6,18}\d(?!\w)")
# Dates and times look like phone numbers to the pattern above; they are not PII.
_DATE_LIKE = re.compile(r"^\d{4}-\d{1,2}-\d{1,2}$|^\d{1,2}[/.-]\d{1,2}[/.-]\d{2,4}$")


@dataclass(frozen=True)
class Verdict:
    """The result of checking one message: flagged or not, and why."""

    flagged: bool
    reasons: list[str] = field(default_factory=list)
    source: str = "local"


def settings(site: Any) -> dict[str, Any]:
    """The site's moderation settings with defaults filled in and bad values ignored."""
    raw = getattr(site, "moderation", None) or {}
    mode = raw.get("mode") if raw.get("mode") in MODES else "off"
    terms = [str(t).strip().lower() for t in raw.get("blocked_terms") or [] if str(t).strip()]
    return {"mode": mode, "blocked_terms": terms, "redact_pii": bool(raw.get("redact_pii"))}


def _luhn_ok(digits: str) -> bool:
    total = 0
    for index, char in enumerate(reversed(digits)):
        value = int(char)
        if index % 2:
            value = value * 2 - 9 if value > 4 else value * 2
        total += value
    return total % 10 == 0


def _redact_card(match: re.Match[str]) -> str:
    digits = re.sub(r"\D", "", match.group(0))
    return "[card number removed]" if _luhn_ok(digits) else match.group(0)


def _redact_phone(match: re.Match[str]) -> str:
    found = match.group(0)
    digits = re.sub(r"\D", "", found)
    if _DATE_LIKE.match(found.strip()) or not 8 <= len(digits) <= 15:
        return found
    return "[phone removed]"


def redact_pii(text: str) -> str:
    """The text with e-mail addresses, card numbers and phone numbers replaced by placeholders."""
    text = _EMAIL.sub("[email removed]", text)
    text = _CARD.sub(_redact_card, text)
    return _PHONE.sub(_redact_phone, text)


def text_to_store(site: Any, text: str) -> str:
    """What the transcript keeps of a visitor message: redacted when the site asks for it."""
    return redact_pii(text) if settings(site)["redact_pii"] else text


def _words(text: str) -> str:
    return " " + re.sub(r"\W+", " ", text.lower()) + " "


def check_local(site: Any, text: str) -> Verdict:
    """Flag a message containing one of the site's blocked terms (whole words, any case)."""
    haystack = _words(text)
    hits = [term for term in settings(site)["blocked_terms"] if _words(term) in haystack]
    return Verdict(bool(hits), [f"blocked term: {term}" for term in hits], "local")


def check_provider(client: Any, text: str) -> Verdict:
    """Ask the provider's moderation endpoint; raises when it cannot answer."""
    response = client.moderations.create(input=text)
    result = response.results[0]
    categories = getattr(result, "categories", None)
    flagged_names: list[str] = []
    if categories is not None:
        data = categories.model_dump() if hasattr(categories, "model_dump") else dict(categories)
        flagged_names = sorted(name for name, value in data.items() if value)
    return Verdict(bool(result.flagged), flagged_names, "provider")


def check(site: Any, text: str, client: Any = None) -> Verdict:
    """Moderate a visitor message per the site's settings; provider errors fall back to local."""
    config = settings(site)
    if config["mode"] == "off":
        return Verdict(False, [], "off")
    local = check_local(site, text)
    if config["mode"] == "local" or local.flagged or client is None:
        return local
    try:
        return check_provider(client, text)
    except Exception:  # the provider being down must not silence the chat
        log.warning("provider moderation failed; using local rules", exc_info=True)
        return local
