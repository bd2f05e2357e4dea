"""Which name the max tokens setting is sent under: `max_tokens` or `max_completion_tokens`.

OpenAI's newer models refuse `max_tokens` and want `max_completion_tokens`; vLLM, Ollama and
llama.cpp know `max_tokens`. The default follows the endpoint; when a provider answers 400
naming the parameter, the other name is used from then on for that (endpoint, model), for the
life of the process.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Mapping
from typing import Any

log = logging.getLogger("frontdesk.llm")

NAMES = ("max_tokens", "max_completion_tokens")
OPENAI_API_PREFIX = "https://api.openai.com"
# Words of a refusal ("Unsupported parameter: 'max_tokens' ... Use 'max_completion_tokens'
# instead."), as opposed to a bad value ("max_tokens is too large").
REFUSAL_WORDS = ("unsupported", "not supported", "unrecognized", "unknown", "not permitted")
_learned: dict[tuple[str, str], str] = {}
_lock = threading.Lock()


def endpoint(client: Any, settings: Mapping[str, Any]) -> tuple[str, str]:
    """(base URL, model) the setting is learned for."""
    base_url = str(getattr(client, "base_url", "") or settings.get("base_url") or "")
    return base_url, str(settings.get("model") or "")


def param(client: Any, settings: Mapping[str, Any]) -> str:
    """The parameter name to send the max tokens setting under."""
    key = endpoint(client, settings)
    with _lock:
        learned = _learned.get(key)
    if learned is not None:
        return learned
    return "max_completion_tokens" if key[0].startswith(OPENAI_API_PREFIX) else "max_tokens"


def switch_if_refused(client: Any, settings: Mapping[str, Any], error: str) -> bool:
    """If the provider's error names a token limit parameter, switch names; True if switched."""
    lowered = error.lower()
    if not any(name in lowered for name in NAMES):
        return False
    if not any(word in lowered for word in REFUSAL_WORDS):
        return False
    used = param(client, settings)
    other = NAMES[1] if used == NAMES[0] else NAMES[0]
    with _lock:
        _learned[endpoint(client, settings)] = other
    log.info("the provider refused %s; sending the token limit as %s from now on", used, other)
    return True
