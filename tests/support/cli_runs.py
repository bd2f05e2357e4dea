"""Running the real `frontdesk` command as a subprocess, with its environment."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

FRONTDESK = [sys.executable, "-m", "frontdesk.cli"]


def run(args: list[str], env: dict[str, str], stdin: str | None = None, check: bool = True):
    """Run `frontdesk ARGS` and return the completed process (AssertionError when `check` and
    it failed)."""
    result = subprocess.run(
        FRONTDESK + args, env=env, input=stdin, capture_output=True, text=True, timeout=120
    )
    if check and result.returncode != 0:
        raise AssertionError(f"frontdesk {args} failed:\n{result.stdout}\n{result.stderr}")
    return result


def cli_environment(database_url: str, instance: Path) -> dict[str, str]:
    """The parent's environment without Frontdesk or OpenAI settings, pointed at one database."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("FRONTDESK_", "OPENAI_"))}
    env.update(
        FRONTDESK_DATABASE_URL=database_url,
        FRONTDESK_INSTANCE_PATH=str(instance),
        FRONTDESK_PUBLIC_URL="https://chat.example.test",
    )
    return env
