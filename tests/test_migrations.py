"""The Alembic migrations build exactly the schema the models describe."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import text
from sqlmodel import SQLModel

from core.db import make_engine, open_database, schema_is_current, upgrade


def test_migrations_match_models(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path}/m.db")
    upgrade(engine)
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), SQLModel.metadata)
    assert diff == [], f"models and migrations differ: {diff}"


def test_migrations_match_models_on_postgres(postgres_url):
    from sqlalchemy.engine import make_url

    admin = make_engine(postgres_url, isolation_level="AUTOCOMMIT")
    name = make_url(postgres_url).database + "_mig"
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(postgres_url).set(database=name)
    engine = make_engine(url.render_as_string(hide_password=False))
    try:
        upgrade(engine)
        with engine.connect() as conn:
            diff = compare_metadata(MigrationContext.configure(conn), SQLModel.metadata)
        assert diff == [], f"models and migrations differ: {diff}"
    finally:
        engine.dispose()
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def test_open_database_upgrades_a_new_file(tmp_path):
    url = f"sqlite:///{tmp_path}/fresh.db"
    engine = open_database(url)
    assert schema_is_current(engine)


def test_the_head_start_up_checks_against_is_the_newest_migration(tmp_path):
    from alembic.script import ScriptDirectory

    from core.db import HEAD, alembic_config

    engine = make_engine(f"sqlite:///{tmp_path}/h.db")
    assert ScriptDirectory.from_config(alembic_config(engine)).get_current_head() == HEAD
    assert not schema_is_current(engine)  # a new database: no version table yet
    upgrade(engine)
    assert schema_is_current(engine)
    with engine.begin() as conn:  # an older database is upgraded
        conn.execute(text("UPDATE alembic_version SET version_num = '0003_reconcile_runs'"))
    assert not schema_is_current(engine)
