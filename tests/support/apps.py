"""App settings for tests: a fixed secret, no mail worker, no LLM provider unless asked."""

from __future__ import annotations

from pathlib import Path

# The suite's password hashing (tests/conftest.py sets it): reaches every app and child process
# through the configuration's environment variables, as a server's own setting would.
HASH_PROFILE_ENV = "FRONTDESK_PASSWORD_HASH_PROFILE"
TEST_SECRET = "test-secret-key-not-for-production"
PUBLIC_URL = "http://frontdesk.test"
# With MAIL_WORKER off (as in app_config) nothing is ever sent: e-mail only queues in the outbox.
QUEUE_ONLY_SMTP = "smtp://127.0.0.1:9"


def keep(name: str) -> bool:
    """Whether a child process (a command, a server) keeps the environment variable `name`: not
    Frontdesk's or OpenAI's settings, which each test sets, but the suite's password hashing."""
    return name == HASH_PROFILE_ENV or not name.startswith(("FRONTDESK_", "OPENAI_"))


def app_config(database_url: str, tmp_path: Path, **extra) -> dict:
    """Test configuration: a fixed secret, no mail worker unless asked, no LLM provider."""
    config = {
        "DATABASE_URL": database_url,
        "INSTANCE_PATH": str(tmp_path / "instance"),
        "SECRET_KEY": TEST_SECRET,
        "PUBLIC_URL": PUBLIC_URL,
        "MAIL_WORKER": False,
        "CALENDAR_WORKER": False,
        "ENGINE": "offline",
        "OPENAI_API_KEY": None,
        "OPENAI_BASE_URL": None,
        "WTF_CSRF_ENABLED": True,
        "TESTING": True,
    }
    config.update(extra)
    return config
