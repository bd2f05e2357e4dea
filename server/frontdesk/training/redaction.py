"""Training data without personal data: moderation's PII redaction plus consistent placeholders.

Names and e-mail addresses the visitors gave (to the booking tools, or on their bookings) become
the same placeholder everywhere in one export, so a conversation still reads naturally ("Thanks,
Alex!") without saying who it was; phone and card numbers and any other e-mail address go the
way the transcript's redaction sends them.
"""

from __future__ import annotations

import re
from typing import Any

from frontdesk.chat.moderation import redact_pii

PLACEHOLDER_NAMES = (
    "Alex Morgan", "Sam Taylor", "Jordan Lee", "Casey Brown", "Riley Smith", "Jamie Clark",
    "Taylor Green", "Robin Hall", "Morgan Wright", "Charlie King", "Avery Scott", "Quinn Adams",
)  # fmt: skip
MIN_NAME_PART = 3


class Redactor:
    """Replaces the people it has learnt about, then redacts what moderation would."""

    def __init__(self) -> None:
        self._names: dict[str, str] = {}  # lower-cased real name (or first name) -> placeholder
        self._emails: dict[str, str] = {}
        self._people = 0

    def learn(self, name: str = "", email: str = "") -> None:
        """Remember a person (placeholders are handed out in the order people are met)."""
        name, email = " ".join(str(name or "").split()), str(email or "").strip().lower()
        if not name and not email:
            return
        known = self._emails.get(email) or self._names.get(name.lower())
        if known is None:
            self._people += 1
            index = self._people - 1
            fake = PLACEHOLDER_NAMES[index] if index < len(PLACEHOLDER_NAMES) else ""
            known = fake or f"Visitor {self._people}"
            if email:
                self._emails[email] = f"visitor{self._people}@example.com"
        elif email and email not in self._emails:
            self._emails[email] = f"visitor{self._people}@example.com"
        if name:
            self._names.setdefault(name.lower(), known if " " in name else known.split()[0])
            first = name.split()[0]
            if len(first) >= MIN_NAME_PART:
                self._names.setdefault(first.lower(), known.split()[0])

    def learn_from_arguments(self, arguments: Any) -> None:
        """People named in a tool call's arguments (propose_booking's name and email)."""
        if isinstance(arguments, dict) and (arguments.get("name") or arguments.get("email")):
            self.learn(str(arguments.get("name") or ""), str(arguments.get("email") or ""))

    def text(self, text: str) -> str:
        """The text with known people replaced and other PII redacted."""
        if not text:
            return text or ""
        marks: dict[str, str] = {}
        for n, (real, fake) in enumerate(sorted(self._emails.items(), key=lambda i: -len(i[0]))):
            mark = f"\ue000mail{chr(0x41 + n % 26)}{n // 26}\ue001"
            text, count = re.subn(re.escape(real), mark, text, flags=re.IGNORECASE)
            if count:
                marks[mark] = fake
        for real, fake in sorted(self._names.items(), key=lambda item: -len(item[0])):
            text = re.sub(rf"(?<!\w){re.escape(real)}(?!\w)", fake, text, flags=re.IGNORECASE)
        text = redact_pii(text)
        for mark, fake in marks.items():
            text = text.replace(mark, fake)
        return text

    def value(self, value: Any) -> Any:
        """A JSON value with every string in it redacted."""
        if isinstance(value, str):
            return self.text(value)
        if isinstance(value, dict):
            return {key: self.value(item) for key, item in value.items()}
        if isinstance(value, list):
            return [self.value(item) for item in value]
        return value
