"""Which language a short chat message is in, from its most common words (no model, no network).

Good enough to tell whether an answer is in the visitor's language for the languages listed;
anything else, or a message too short to tell, is "" (unknown).
"""

from __future__ import annotations

import functools
import re

from babel import Locale, UnknownLocaleError

# The most frequent short words of each language, chosen to overlap as little as possible.
_COMMON: dict[str, str] = {
    "en": (
        "the and you your is are to of for with what how can we our this that it "
        "i my me be will do have please thanks at on in an a as or if not there any so just "
        "about from by"  # "a" and "as" are Portuguese too: "a ride", "as far as" are English
    ),
    "de": (
        "der die das und ist sind ich sie wir ihr ein eine einen nicht mit für "
        "was wie kann können bitte danke auf zu den dem des auch noch haben"
    ),
    "fr": (
        "le la les et est sont je vous nous un une des pas avec pour que quoi "
        "comment peut pouvez merci sur dans du au votre vos mon ma"
    ),
    "es": (
        "el la los las y es son yo usted nosotros un una unos no con para que "
        "qué cómo puede gracias por en del al su sus mi está hay"
    ),
    "it": (
        "il lo la gli le e è sono io lei noi un una non con per che cosa come "
        "può grazie su nel del al suo sua mio mia della"
    ),
    "nl": (
        "de het een en is zijn ik u wij we niet met voor wat hoe kan kunt "
        "bedankt op in van ook nog hebben uw mijn"
    ),
    "pt": (
        "o a os as e é são eu você nós um uma não com para que como pode "
        "obrigado obrigada em no na do da seu sua meu"
    ),
}
STOPWORDS = {code: frozenset(words.split()) for code, words in _COMMON.items()}
MIN_HITS = 2
WORD = re.compile(r"[^\W\d_]+", re.UNICODE)


def detect(text: str, hint: str | None = None) -> str:
    """The language code whose common words the text uses most; "" when unsure. `hint`, the
    visitor's `lang`, settles a short message: one common word of that language and none of
    any other is enough ("Bonjour, vos tarifs ?" on a French page)."""
    words = [word.lower() for word in WORD.findall(text or "")]
    if not words:
        return ""
    scores = {code: sum(word in common for word in words) for code, common in STOPWORDS.items()}
    ranked = sorted(scores.items(), key=lambda item: (-item[1], item[0]))
    (best, hits), (_, runner_up) = ranked[0], ranked[1]
    if hits >= MIN_HITS and hits > runner_up:
        return best
    hinted = base(hint or "")
    if scores.get(hinted) and not any(n for code, n in scores.items() if code != hinted):
        return hinted
    return ""


def base(code: str) -> str:
    """ "de-CH" -> "de"."""
    return (code or "").split("-")[0].split("_")[0].lower()


# Every LLM turn names the visitor's language in its prompt; babel's parse and display name
# cost ~50 µs of CPU each time. Tags come from visitors: a bounded cache.
@functools.lru_cache(maxsize=512)
def language_name(tag: str) -> str:
    """A `lang` tag in English words, from CLDR: "fr-CA" -> "French (Canada)"; "" for a tag
    CLDR doesn't know (it comes from the visitor: never put it in a prompt raw)."""
    try:
        return Locale.parse(tag.replace("-", "_")).get_display_name("en") or ""
    except (ValueError, TypeError, UnknownLocaleError):
        return ""
