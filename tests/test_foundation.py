"""The app factory, configuration and health check."""

import pytest

from frontdesk import create_app
from frontdesk.config import ConfigError, load_config
from tests.support.apps import app_config


def test_healthz_reports_database(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json == {"status": "ok", "database": "ok"}


def test_healthz_reports_unreachable_database(tmp_path):
    url = "postgresql+psycopg://nobody@127.0.0.1:1/nothing"
    app = create_app(app_config(url, tmp_path))
    response = app.test_client().get("/healthz")
    assert response.status_code == 503
    assert response.json["database"] == "unreachable"


def test_config_layers_env_over_toml_over_defaults(tmp_path):
    toml = tmp_path / "frontdesk.toml"
    toml.write_text('model = "from-toml"\nmax_message_chars = 500\npublic_url = "https://toml"\n')
    environ = {
        "FRONTDESK_CONFIG": str(toml),
        "FRONTDESK_MAX_MESSAGE_CHARS": "900",
        "FRONTDESK_INSTANCE_PATH": str(tmp_path / "inst"),
    }
    config = load_config(environ=environ)
    assert config["MODEL"] == "from-toml"
    assert config["MAX_MESSAGE_CHARS"] == 900
    assert config["PUBLIC_URL"] == "https://toml"
    assert config["DATABASE_URL"] == f"sqlite:///{tmp_path / 'inst' / 'frontdesk.sqlite3'}"


def test_a_number_setting_that_is_not_a_number_is_refused_by_name(tmp_path):
    environ = {"FRONTDESK_INSTANCE_PATH": str(tmp_path), "FRONTDESK_MAIL_MAX_ATTEMPTS": "eight"}
    with pytest.raises(ConfigError, match="FRONTDESK_MAIL_MAX_ATTEMPTS='eight' is not a number"):
        load_config(environ=environ)


def test_secret_key_generated_once_and_kept(tmp_path):
    environ = {"FRONTDESK_INSTANCE_PATH": str(tmp_path)}
    first = load_config(environ=environ)["SECRET_KEY"]
    second = load_config(environ=environ)["SECRET_KEY"]
    assert len(first) >= 32
    assert first == second
    assert (tmp_path / "secret_key").stat().st_mode & 0o777 == 0o600
