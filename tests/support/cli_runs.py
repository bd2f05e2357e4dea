"""Running the real `frontdesk` command, in this process (`run`: click's own runner, the same
`main` the console script calls) or as a subprocess (`run_process`), with its environment."""

from __future__ import annotations

import os
import subprocess
import sys
import traceback
from dataclasses import dataclass
from pathlib import Path

from click.testing import CliRunner

from tests.support.apps import keep

FRONTDESK = [sys.executable, "-m", "frontdesk.cli"]


@dataclass
class Ran:
    """What a command run in this process did, named as subprocess.CompletedProcess names it."""

    args: list[str]
    returncode: int
    stdout: str
    stderr: str


def run(args: list[str], env: dict[str, str], stdin: str | None = None, check: bool = True):
    """Run `frontdesk ARGS` in this process with `env` as its whole environment (the command
    reads only os.environ, set for the run and put back after) and return what it did
    (AssertionError when `check` and it failed). A process costs about a second of imports per
    command; tests about the process itself (a first run, `serve`, kill -9) use `run_process`."""
    from frontdesk.cli import main  # here: importing this module should not import every command

    changes: dict[str, str | None] = {k: v for k, v in env.items() if os.environ.get(k) != v}
    changes.update({k: None for k in os.environ if k not in env})
    result = CliRunner().invoke(main, args, input=stdin, env=changes, prog_name="frontdesk")
    stderr = result.stderr
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        # What Python prints when a command dies of an exception, so failures stay readable.
        stderr += "".join(traceback.format_exception(result.exception))
    ran = Ran(args, result.exit_code, result.stdout, stderr)
    if check and ran.returncode != 0:
        raise AssertionError(f"frontdesk {args} failed:\n{ran.stdout}\n{ran.stderr}")
    return ran


def run_process(args: list[str], env: dict[str, str], stdin: str | None = None, check: bool = True):
    """Run `frontdesk ARGS` as a real subprocess and return the completed process
    (AssertionError when `check` and it failed)."""
    result = subprocess.run(
        FRONTDESK + args, env=env, input=stdin, capture_output=True, text=True, timeout=120
    )
    if check and result.returncode != 0:
        raise AssertionError(f"frontdesk {args} failed:\n{result.stdout}\n{result.stderr}")
    return result


def cli_environment(database_url: str, instance: Path) -> dict[str, str]:
    """The parent's environment without Frontdesk or OpenAI settings (but the suite's password
    hashing, `keep`), pointed at one database."""
    env = {k: v for k, v in os.environ.items() if keep(k)}
    env.update(
        FRONTDESK_DATABASE_URL=database_url,
        FRONTDESK_INSTANCE_PATH=str(instance),
        FRONTDESK_PUBLIC_URL="https://chat.example.test",
    )
    return env
