"""`meterbot --help` loads no verb: the verbs' heavy imports wait until one runs."""

from __future__ import annotations

import argparse
import subprocess
import sys

import pytest

from bot import commands

HEAVY = ("sqlalchemy", "polars", "boto3", "aiohttp", "matplotlib", "alembic", "pydantic")


def test_help_lists_every_verb_without_importing_any() -> None:
    probe = (
        "import sys\n"
        "from bot.cli import main\n"
        "try:\n"
        "    main(['--help'])\n"
        "except SystemExit:\n"
        "    pass\n"
        f"print(sorted(m for m in {HEAVY!r} if m in sys.modules))\n"
    )
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    *listing, loaded = out.stdout.strip().splitlines()
    assert loaded == "[]"
    for name in commands.VERBS:
        assert any(line.strip().startswith(name) for line in listing), name


@pytest.mark.parametrize("name", list(commands.VERBS))
def test_each_verb_says_what_the_table_says(name: str) -> None:
    parser = argparse.ArgumentParser()
    verbs = parser.add_subparsers()
    commands.register(verbs, name)
    [action] = verbs._choices_actions
    assert (action.dest, action.help) == (name, commands.VERBS[name])
