"""Staff password hashing: argon2 parameters from the PASSWORD_HASH_PROFILE setting, refused
when unknown, used for every new hash, and upgraded at sign-in."""

from __future__ import annotations

import logging
import subprocess

import pytest

from frontdesk import create_app, warn_of_weak_hashing
from frontdesk.config import DEFAULTS, ConfigError, load_config
from frontdesk.db.models import StaffUser
from frontdesk.staff.accounts import app_hasher, password_hasher
from tests.support.apps import HASH_PROFILE_ENV, app_config
from tests.support.cli_runs import FRONTDESK, cli_environment, run
from tests.support.staff_accounts import PASSWORD, sign_in

CHEAPEST_PREFIX = "$argon2id$v=19$m=8,t=1,p=1$"
DEFAULT_PREFIX = "$argon2id$v=19$m=65536,t=3,p=4$"  # RFC 9106 low memory: 64 MiB, 3 passes


def test_servers_hash_with_argon2s_own_parameters_unless_told_otherwise(tmp_path):
    """The suite hashes with CHEAPEST (tests/conftest.py); a server without the setting uses
    argon2-cffi's default, RFC 9106's low-memory profile (64 MiB, 3 passes, 4 lanes)."""
    instance = {"FRONTDESK_INSTANCE_PATH": str(tmp_path)}
    assert load_config(environ=instance)["PASSWORD_HASH_PROFILE"] == "RFC_9106_LOW_MEMORY"
    assert (
        password_hasher(DEFAULTS["PASSWORD_HASH_PROFILE"]).hash(PASSWORD).startswith(DEFAULT_PREFIX)
    )
    cheapest = load_config(environ=instance | {HASH_PROFILE_ENV: "CHEAPEST"})
    assert cheapest["PASSWORD_HASH_PROFILE"] == "CHEAPEST"
    assert password_hasher("CHEAPEST").hash(PASSWORD).startswith(CHEAPEST_PREFIX)


def test_an_app_with_an_unknown_profile_is_refused(sqlite_url, tmp_path):
    config = app_config(sqlite_url, tmp_path, PASSWORD_HASH_PROFILE="FAST")
    with pytest.raises(ConfigError) as refused:
        create_app(config)
    message = str(refused.value)
    assert "PASSWORD_HASH_PROFILE" in message and "'FAST' is not a profile" in message
    assert "choose one of RFC_9106_LOW_MEMORY, RFC_9106_HIGH_MEMORY, CHEAPEST" in message


def test_a_server_with_an_unknown_profile_does_not_start(sqlite_url, tmp_path):
    env = cli_environment(sqlite_url, tmp_path / "instance") | {HASH_PROFILE_ENV: "fast"}
    # A real process: it must stop with the message, not serve (the timeout fails the test).
    result = subprocess.run(
        [*FRONTDESK, "serve", "--port", "0"], env=env, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 1
    assert "Configuration: PASSWORD_HASH_PROFILE (FRONTDESK_PASSWORD_HASH_PROFILE)" in (
        result.stderr
    )
    assert "'fast' is not a profile" in result.stderr and "Traceback" not in result.stderr


@pytest.mark.app_config(PASSWORD_HASH_PROFILE="RFC_9106_LOW_MEMORY")
def test_the_apps_profile_makes_new_hashes_and_upgrades_old_ones_at_sign_in(app, client, staff):
    """The app's setting wins over the suite's CHEAPEST in the environment: the account made
    with CHEAPEST is rehashed with the app's parameters when its owner signs in."""
    assert app_hasher(app).hash(PASSWORD).startswith(DEFAULT_PREFIX)
    database = app.extensions["frontdesk.db"]
    with database.session() as session:
        assert session.get(StaffUser, staff.id).password_hash.startswith(CHEAPEST_PREFIX)
    assert sign_in(client).status_code == 302
    with database.session() as session:
        assert session.get(StaffUser, staff.id).password_hash.startswith(DEFAULT_PREFIX)


def test_the_staff_command_hashes_with_the_configured_profile(sqlite_url, tmp_path):
    from frontdesk.db import Database
    from tests.support.factories import make_site

    db = Database(sqlite_url)
    site = make_site(db)
    env = cli_environment(sqlite_url, tmp_path / "instance") | {
        HASH_PROFILE_ENV: "RFC_9106_LOW_MEMORY"
    }
    run(["staff", "add", "ana@acme.test", "--site", site.public_key, "--password", PASSWORD], env)
    with db.session() as session:
        stored = session.query(StaffUser).filter_by(email="ana@acme.test").one().password_hash
    db.dispose()
    assert stored.startswith(DEFAULT_PREFIX)


def test_a_server_started_with_the_test_hashing_profile_says_so(sqlite_url, tmp_path, caplog):
    """CHEAPEST copied from a test environment to a real server is logged at start-up."""
    for profile, warned in (("RFC_9106_LOW_MEMORY", False), ("CHEAPEST", True)):
        app = create_app(app_config(sqlite_url, tmp_path, PASSWORD_HASH_PROFILE=profile))
        caplog.clear()
        with caplog.at_level(logging.WARNING):
            warn_of_weak_hashing(app)
        app.extensions["frontdesk.db"].dispose()
        said = " ".join(record.getMessage() for record in caplog.records)
        assert ("test-only" in said and "PASSWORD_HASH_PROFILE is CHEAPEST" in said) is warned
