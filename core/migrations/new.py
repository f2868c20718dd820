"""Write a new migration for what the models changed since the newest one.

    python -m core.migrations.new "add invoice notes"

It upgrades a scratch SQLite database to the newest migration and lets Alembic
compare it with the models; read the generated file before committing it, and write
its revision into `HEAD` in core/db.py.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

from alembic import command

from core.db import alembic_config, make_engine, upgrade


def main(message: str) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        engine = make_engine(f"sqlite:///{Path(tmp) / 'scratch.db'}")
        upgrade(engine)
        command.revision(alembic_config(engine), message=message, autogenerate=True)
        engine.dispose()


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit('usage: python -m core.migrations.new "what changed"')
    main(sys.argv[1])
