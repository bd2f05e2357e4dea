"""A serving process refuses a database whose schema is not this release's, saying the fix."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
import sqlalchemy as sa

from frontdesk.db import Database
from frontdesk.db.migrate import downgrade, head_revision, upgrade
from frontdesk.db.schema_check import (
    SchemaNotCurrent,
    expected_revision,
    require_current_schema,
    schema_problem,
)
from tests.support.cli_runs import FRONTDESK, cli_environment
from tests.support.servers import free_port


def test_the_expected_revision_read_off_the_files_is_alembics_head():
    assert expected_revision() == head_revision()


def test_a_current_schema_passes_and_one_behind_names_both_revisions_and_the_command(db):
    assert schema_problem(db) is None
    require_current_schema(db)
    downgrade(db, "0017")
    problem = schema_problem(db)
    assert problem is not None
    assert "revision 0017" in problem and expected_revision() in problem
    assert "frontdesk db upgrade" in problem
    with pytest.raises(SchemaNotCurrent, match="frontdesk db upgrade"):
        require_current_schema(db)
    upgrade(db)
    assert schema_problem(db) is None


def test_a_schema_newer_than_the_release_is_refused_too(db):
    with db.engine.begin() as conn:
        conn.execute(sa.text("UPDATE alembic_version SET version_num = '9999'"))
    problem = schema_problem(db)
    assert problem is not None and "newer than this release knows" in problem


def test_an_empty_database_has_no_schema(tmp_path: Path):
    empty = Database(f"sqlite:///{tmp_path / 'empty.sqlite3'}")
    try:
        problem = schema_problem(empty)
        assert problem is not None and "no Frontdesk schema" in problem
    finally:
        empty.dispose()


def _serve(url: str, tmp_path: Path) -> subprocess.CompletedProcess:
    env = cli_environment(url, tmp_path / "instance")
    command = [*FRONTDESK, "serve", "--port", str(free_port())]
    # A real process: it must stop with the message, not serve (the timeout fails the test).
    return subprocess.run(command, env=env, capture_output=True, text=True, timeout=60)


def test_serve_on_an_unmigrated_database_stops_with_the_fix_and_no_worker_traceback(tmp_path):
    url = f"sqlite:///{tmp_path / 'never-upgraded.sqlite3'}"
    refused = _serve(url, tmp_path)
    assert refused.returncode != 0
    assert "no Frontdesk schema" in refused.stderr
    assert "frontdesk db upgrade" in refused.stderr
    assert "Traceback" not in refused.stderr  # no background worker ran against missing tables


def test_serve_on_a_database_left_behind_by_an_upgrade_stops(tmp_path):
    old = Database(f"sqlite:///{tmp_path / 'old.sqlite3'}")
    upgrade(old, "0006")
    old.dispose()
    refused = _serve(old.url, tmp_path)
    assert refused.returncode != 0
    assert f"revision 0006 and this release needs {expected_revision()}" in refused.stderr
