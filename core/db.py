"""The database: engine, sessions and schema migrations (Alembic).

SQLite is the default (a file in the working directory); PostgreSQL is for
production. The schema is brought up to date on start-up when it is behind.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.exc import OperationalError, ProgrammingError
from sqlmodel import Session

from core.errors import ConfigError

if TYPE_CHECKING:
    from alembic.config import Config

MIGRATIONS = Path(__file__).parent / "migrations"
# Any fixed number: serialises schema upgrades of several replicas on PostgreSQL.
_MIGRATION_LOCK = 0x6D657465
_WAL_CHECKPOINT_PAGES = 10_000
# The newest migration: start-up compares the database with it in one query instead
# of reading every migration script. Write a new migration's revision here
# (tests/test_migrations.py fails until it names the head Alembic finds).
HEAD = "rollup_references_per_batch"


def make_engine(url: str, **kwargs: Any) -> Engine:
    """An engine with sane timeouts; SQLite gets WAL, foreign keys and a busy timeout."""
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"timeout": 30}, **kwargs)
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    connect_args = {"connect_timeout": 10}
    return create_engine(url, pool_pre_ping=True, connect_args=connect_args, **kwargs)


def one_transaction(session: Session) -> None:
    """Make sure savepoints nest inside the unit of work's transaction.

    Python's sqlite3 opens no transaction before a SAVEPOINT, so on SQLite a released
    savepoint (`session.begin_nested()`) commits at once, and a later rollback cannot
    undo it. Call this before the first savepoint of a unit of work that may roll back.
    """
    connection = session.connection()
    raw = connection.connection.dbapi_connection
    if connection.dialect.name == "sqlite" and raw is not None and not raw.in_transaction:
        connection.exec_driver_sql("BEGIN")


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    # Checkpoint every 10,000 pages of WAL (40 MB at 4 KB), not 1,000: a pass rewrites the
    # same rollup index pages commit after commit, and each checkpoint copies and syncs them.
    cursor.execute(f"PRAGMA wal_autocheckpoint={_WAL_CHECKPOINT_PAGES}")
    cursor.close()


@contextmanager
def session_scope(engine: Engine) -> Iterator[Session]:
    """A unit of work: commits when the block ends cleanly, rolls back otherwise."""
    with Session(engine, expire_on_commit=False) as session:
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise


def alembic_config(engine: Engine) -> Config:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["engine"] = engine
    return config


def schema_is_current(engine: Engine) -> bool:
    """Whether the database is at the newest migration (HEAD): one query; Alembic,
    which reads every migration script, is imported only to upgrade."""
    with engine.connect() as connection:
        try:
            current = connection.execute(text("SELECT version_num FROM alembic_version")).all()
        except (OperationalError, ProgrammingError) as exc:
            if not _no_such_table(exc):
                raise
            return False  # a new database
    return [row[0] for row in current] == [HEAD]


def _no_such_table(exc: OperationalError | ProgrammingError) -> bool:
    text_ = str(exc.orig).lower()
    return "no such table" in text_ or "does not exist" in text_


def upgrade(engine: Engine) -> None:
    """Bring the schema to the newest migration (one replica at a time on PostgreSQL)."""
    with engine.connect() as connection:
        if engine.dialect.name == "postgresql":
            connection.execute(text("SELECT pg_advisory_lock(:k)"), {"k": _MIGRATION_LOCK})
        try:
            from alembic import command

            config = alembic_config(engine)
            config.attributes["connection"] = connection
            command.upgrade(config, "head")
            connection.commit()
        finally:
            if engine.dialect.name == "postgresql":
                connection.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": _MIGRATION_LOCK})
                connection.commit()


def open_database(url: str) -> Engine:
    """The engine for `url` with its schema current; a clear ConfigError if unreachable."""
    engine = make_engine(url)
    try:
        if not schema_is_current(engine):
            upgrade(engine)
    except OperationalError as exc:
        engine.dispose()
        reason = str(exc.orig).strip().splitlines()[0] if exc.orig else str(exc)
        raise ConfigError(f"database unreachable ({redact_url(url)}): {reason}") from None
    return engine


def missing_sqlite_file(url: str) -> Path | None:
    """The file a SQLite `url` names when it does not exist (opening would create it)."""
    from sqlalchemy.engine import make_url

    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite" or parsed.database in (None, "", ":memory:"):
        return None
    path = Path(str(parsed.database))
    return None if path.exists() else path


def redact_url(url: str) -> str:
    """The URL without its password, for messages and logs."""
    from sqlalchemy.engine import make_url

    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:
        return "<unparseable database URL>"
