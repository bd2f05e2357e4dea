"""Fixtures of the command-line tests: the environment the real `frontdesk` command runs in."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support.cli_runs import cli_environment


@pytest.fixture
def cli_env(sqlite_url: str, tmp_path: Path) -> dict[str, str]:
    """Environment for `frontdesk` on a fresh migrated SQLite database (`sqlite_url`): most
    commands behave the same on both backends, and each run starts a Python process."""
    return cli_environment(sqlite_url, tmp_path / "instance")


@pytest.fixture
def cli_env_any(database_url: str, tmp_path: Path) -> dict[str, str]:
    """Environment for `frontdesk` on the test's fresh database, once per backend
    (`database_url`), for commands whose effect depends on the database (cascades)."""
    return cli_environment(database_url, tmp_path / "instance")
