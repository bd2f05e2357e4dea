"""Walking the dashboard's routes: every site-scoped staff route, and a URL for each on one site."""

from __future__ import annotations

DASHBOARD = ("staff.", "training.")  # the Training section is registered by create_app
CHANGING = {"POST", "PUT", "PATCH", "DELETE"}


def site_routes(app) -> list[tuple[str, str, object]]:
    """(endpoint, method, rule) for every staff route with a site_key."""
    found = []
    for rule in app.url_map.iter_rules():
        if not rule.endpoint.startswith(DASHBOARD) or "site_key" not in rule.arguments:
            continue
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            found.append((rule.endpoint, method, rule))
    return found


def route_url(rule, site, conversation, booking, host_key: str | None = None) -> str:
    """The rule's URL on `site`, with real values where it names a conversation, a booking or
    (given `host_key`) a person, and plausible ones for its other arguments."""
    args = {"site_key": site.public_key}
    for name in rule.arguments - {"site_key"}:
        if name == "public_id" and ".conversations." in rule.endpoint:
            args[name] = conversation.public_id
        elif name == "public_id":
            args[name] = booking.public_id
        elif name == "host_key" and host_key is not None:
            args[name] = host_key
        else:
            converter = rule._converters.get(name)
            args[name] = 1 if converter and "Integer" in type(converter).__name__ else "x1"
    return rule.build(args, append_unknown=False)[1]


def send(client, method: str, path: str, token: str | None):
    """Request `path` as a browser's form would (the CSRF token with a changing method)."""
    data = {"csrf_token": token} if token else {}
    return client.open(path, method=method, data=data if method in CHANGING else None)
