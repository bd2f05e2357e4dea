"""Configuration: defaults, then an optional TOML file, then FRONTDESK_* environment variables."""

from __future__ import annotations

import os
import secrets
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

DEFAULTS: dict[str, Any] = {
    "DATABASE_URL": None,  # None: a SQLite file in the instance folder
    "SECRET_KEY": None,  # None: generated on first run and kept in the instance folder
    "INSTANCE_PATH": None,  # None: ./instance under the working directory
    "PUBLIC_URL": "http://127.0.0.1:8000",  # base of links in e-mails and .ics files
    "SMTP_URL": None,  # smtp://user:pass@host:port, smtps://... or None to disable e-mail
    "MAIL_CATCHER": None,  # demo: "127.0.0.1:1025" runs a local catcher and sends all mail there
    "MAIL_FROM": "Frontdesk <no-reply@localhost>",
    "MAIL_RETRY_SECONDS": 60,
    "MAIL_MAX_ATTEMPTS": 8,
    "MAIL_WORKER": True,  # background thread that sends and retries queued e-mail
    "SMTP_TIMEOUT": 20.0,
    "ENGINE": None,  # "llm", "offline" or None (auto: llm when a provider is configured)
    "MODEL": "gpt-4o-mini",
    "OPENAI_API_KEY": None,
    "OPENAI_BASE_URL": None,
    "LLM_TIMEOUT": 30.0,
    "LLM_MAX_TOOL_ROUNDS": 6,
    # A base URL a site chooses never gets OPENAI_API_KEY and passes the outbound guard:
    "LLM_SITE_BASE_URLS": "",  # comma-separated base URLs sites may choose ("" = any public)
    "LLM_ALLOW_PRIVATE_URLS": False,  # let sites point the assistant at loopback/private hosts
    "OUTBOUND_ALLOWED_HOSTS": "",  # host or host:port reachable even if private (providers, crawls)
    "TURN_DEADLINE": 45.0,  # seconds a turn may take before the offline engine answers instead
    "MAX_MESSAGE_CHARS": 2000,
    "MAX_FRAME_BYTES": 16384,
    "FRAMES_PER_MINUTE": 30,
    "FRAMES_PER_MINUTE_PER_IP": 120,
    "CONNECTIONS_PER_IP": 20,
    "MAX_TURNS_PER_CONVERSATION": 50,
    "DAILY_TOKEN_BUDGET": 200000,
    "VISITOR_TOKEN_SHARE": 0.1,  # of a site's daily budget one visitor may spend (then offline)
    "IP_TOKEN_SHARE": 0.25,  # ... one IP address may spend; 0 or 1: no such share
    "PING_INTERVAL": 25.0,
    "TURN_WORKERS": 64,  # threads running assistant turns (one turn at a time per conversation)
    "KNOWLEDGE_CRAWL_MAX_PAGES": 25,  # pages crawled when staff add a site by URL
    "KNOWLEDGE_ALLOW_PRIVATE_URLS": False,  # let staff crawl loopback/private hosts (SSRF guard)
    "SESSION_COOKIE_SECURE": False,
    "SIGNIN_ATTEMPTS_PER_15_MIN": 10,
    "STAFF_SESSION_IDLE_DAYS": 14,  # a staff session unused this long ends (server-side)
    "STAFF_INVITE_DAYS": 7,  # an invitation's link works this long (once)
    "STAFF_INVITES_PER_HOUR": 20,  # invitations (resends too) a site may send in an hour
    "HEADER_TIMEOUT": 10.0,  # `frontdesk serve`: seconds for a request head to arrive
    "HEADS_PER_IP": 16,  # `frontdesk serve`: connections per IP still sending their head
    "TRUST_PROXY": False,  # trust X-Forwarded-For / -Proto from one reverse proxy
    "MAX_UPLOAD_BYTES": 10 * 1024 * 1024,
    "SQLITE_CHECKPOINT_SECONDS": 1.0,  # WAL checkpoints on a background thread; 0: in commits
    "SQLITE_CHECKPOINT_PAGES": 1000,  # ... once the WAL holds this many pages (0: every time)
    "FINETUNE_SYNC_SECONDS": 5.0,
    # Hosts' calendars (docs/calendars.md).
    "CALENDAR_WORKER": True,  # background threads: the busy-time sync and the write-backs
    "CALENDAR_SYNC_SECONDS": 300,  # each connection is fetched this often
    "CALENDAR_MAX_AGE_SECONDS": 900,  # older busy data is refreshed just before a booking...
    "CALENDAR_REFRESH_TIMEOUT": 2.0,  # ... waiting this long at most, then last known data
    "CALENDAR_FETCH_TIMEOUT": 15.0,  # one background fetch
    "CALENDAR_HORIZON_DAYS": 90,  # busy times are stored this far ahead
    "CALENDAR_RETRY_SECONDS": 60,  # first retry of a failed write-back (then doubling, max 6 h)
    "CALENDAR_KEYS": "",  # Fernet keys for stored passwords, newest first; "": from SECRET_KEY
    "CALENDAR_ALLOW_PRIVATE_URLS": False,  # let calendar URLs reach loopback/private hosts
    "CALENDAR_ALLOWED_HOSTS": "",  # host or host:port allowed whatever its address (comma list)
    "REDIS_URL": None,  # redis://host:6379/0 to run several processes (needs PostgreSQL)
    "REDIS_PREFIX": "frontdesk",  # key prefix: processes of one deployment share it
    "TURN_LEASE_SECONDS": 15.0,  # a killed process's turn lease lapses after this long
    # argon2-cffi's parameter profile for staff passwords; CHEAPEST only in test suites.
    "PASSWORD_HASH_PROFILE": "RFC_9106_LOW_MEMORY",
}


class ConfigError(ValueError):
    """A setting has a value Frontdesk cannot start with (the message names it and says why)."""


# Environment variables read without the FRONTDESK_ prefix, because the openai ecosystem uses them.
PASSTHROUGH_ENV = ("OPENAI_API_KEY", "OPENAI_BASE_URL")


def load_config(
    overrides: Mapping[str, Any] | None = None, environ: Mapping[str, str] | None = None
) -> dict[str, Any]:
    """Build the configuration; later sources win: defaults, TOML file, environment, overrides."""
    environ = os.environ if environ is None else environ
    config = dict(DEFAULTS)
    toml_path = (overrides or {}).get("CONFIG_FILE") or environ.get("FRONTDESK_CONFIG")
    if toml_path:
        config.update(_read_toml(Path(toml_path)))
    for key in PASSTHROUGH_ENV:
        if environ.get(key):
            config[key] = environ[key]
    for name, raw in environ.items():
        if name.startswith("FRONTDESK_") and name != "FRONTDESK_CONFIG":
            key = name.removeprefix("FRONTDESK_")
            try:
                config[key] = _coerce(raw, DEFAULTS.get(key))
            except ValueError:
                raise ConfigError(f"{name}={raw!r} is not a number") from None
    config.update(overrides or {})
    _fill_instance_defaults(config)
    return config


def _read_toml(path: Path) -> dict[str, Any]:
    with path.open("rb") as fh:
        data = tomllib.load(fh)
    return {key.upper(): value for key, value in data.items()}


def _coerce(raw: str, default: Any) -> Any:
    """Convert an environment string to the type of the default value."""
    if isinstance(default, bool):
        return raw.strip().lower() in {"1", "true", "yes", "on"}
    if isinstance(default, int):
        return int(raw)
    if isinstance(default, float):
        return float(raw)
    return raw


def _fill_instance_defaults(config: dict[str, Any]) -> None:
    instance = Path(config["INSTANCE_PATH"] or Path.cwd() / "instance").resolve()
    config["INSTANCE_PATH"] = str(instance)
    if not config["DATABASE_URL"]:
        instance.mkdir(parents=True, exist_ok=True)
        config["DATABASE_URL"] = f"sqlite:///{instance / 'frontdesk.sqlite3'}"
    if config.get("MAIL_CATCHER") and not config.get("SMTP_URL"):
        # The demo's catcher (started by `frontdesk serve`) stands in for a real mail server.
        config["SMTP_URL"] = f"smtp://{config['MAIL_CATCHER']}"
    if not config["SECRET_KEY"]:
        config["SECRET_KEY"] = _stored_secret(instance / "secret_key")


def _stored_secret(path: Path) -> str:
    """Read the secret key kept in the instance folder, creating it (mode 600) on first run."""
    if path.exists():
        return path.read_text().strip()
    path.parent.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(48)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # another process created it first: use theirs
        return path.read_text().strip()
    with os.fdopen(fd, "w") as fh:
        fh.write(key)
    return key
