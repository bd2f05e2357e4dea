"""Provider base URLs a site chooses: which key may go there, and the guard they must pass.

The server's OPENAI_API_KEY belongs to the operator's provider (OPENAI_BASE_URL, or OpenAI's
own address). A base URL a site's staff typed is not the operator's: it gets the site's own
key (or none: local servers need none), never the server's, and it is reached only through the
outbound guard, pinned to the address the guard checked. The operator may limit the addresses
sites can choose (LLM_SITE_BASE_URLS) and allow private or loopback ones (LLM_ALLOW_PRIVATE_URLS,
OUTBOUND_ALLOWED_HOSTS, e.g. an Ollama on 127.0.0.1:11434).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from frontdesk.outbound.guard import BlockedURL, OutboundPolicy, Target, vet_url


def _normal(url: Any) -> str:
    return str(url or "").strip().rstrip("/").lower()


def site_chosen_url(site_settings: Mapping[str, Any], app_config: Mapping[str, Any]) -> str:
    """The site's own base URL when it differs from the operator's; "" when it has none."""
    url = str(site_settings.get("base_url") or "").strip()
    if not url or _normal(url) == _normal(app_config.get("OPENAI_BASE_URL")):
        return ""
    return url


def policy(app_config: Mapping[str, Any]) -> OutboundPolicy:
    """What the operator allows a site's provider address to be beyond the public internet."""
    return OutboundPolicy.from_values(
        app_config.get("LLM_ALLOW_PRIVATE_URLS", False),
        app_config.get("OUTBOUND_ALLOWED_HOSTS") or (),
    )


def allowed_base_urls(app_config: Mapping[str, Any]) -> list[str]:
    """The operator's list of base URLs sites may choose from ([] = any that passes the guard)."""
    raw = app_config.get("LLM_SITE_BASE_URLS") or ()
    if isinstance(raw, str):
        raw = raw.split(",")
    return [_normal(url) for url in raw if _normal(url)]


def rules(app_config: Mapping[str, Any]) -> tuple[OutboundPolicy, tuple[str, ...]]:
    """The guard's policy and the operator's list, as one hashable value (a client cache key)."""
    return policy(app_config), tuple(allowed_base_urls(app_config))


def vet_site_url(url: str, url_rules: tuple[OutboundPolicy, tuple[str, ...]], **vet: Any) -> Target:
    """Check a site-chosen base URL against the operator's list and the guard; BlockedURL says
    why it is refused (safe to show to the staff member who typed it)."""
    guard, allowed = url_rules
    if allowed and _normal(url) not in allowed:
        raise BlockedURL(
            "This server lets sites use only these provider addresses: " + ", ".join(allowed)
        )
    return vet_url(url, guard, **vet)


def guard_settings(
    settings: dict[str, Any], site_settings: Mapping[str, Any], app_config: Mapping[str, Any]
) -> dict[str, Any]:
    """Apply the rules above to merged provider settings (in place; returned for chaining).

    A site-chosen address gets `site_url_rules`, which make_client vets it against.
    """
    url = site_chosen_url(site_settings, app_config)
    if url:
        settings["base_url"] = url
        settings["api_key"] = str(site_settings.get("api_key") or "").strip() or None
        settings["site_url_rules"] = rules(app_config)
    return settings
