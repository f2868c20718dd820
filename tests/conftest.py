"""Shared fixtures: a real database on SQLite and, when configured, PostgreSQL.

`engine` runs each database test twice: on a fresh SQLite file and on a private
PostgreSQL database (created per test session, emptied per test). Without
METERBOT_TEST_POSTGRES_URL the PostgreSQL half is skipped with a visible reason.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.engine import make_url
from sqlmodel import Session, SQLModel

import core.models  # noqa: F401  (registers every table)
from core.db import make_engine

POSTGRES_URL = os.environ.get("METERBOT_TEST_POSTGRES_URL")
NO_POSTGRES = "METERBOT_TEST_POSTGRES_URL is not set; PostgreSQL tests skipped"

# Keep a developer's real accounts out of the tests.
for _name in list(os.environ):
    if _name.startswith(("SLACK_", "SALESFORCE_", "METERBOT_")) and _name != (
        "METERBOT_TEST_POSTGRES_URL"
    ):
        del os.environ[_name]


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """A private database for this test session, dropped at the end."""
    if not POSTGRES_URL:
        pytest.skip(NO_POSTGRES)
    admin = make_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
    name = f"meterbot_test_{uuid.uuid4().hex[:12]}"
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(POSTGRES_URL).set(database=name).render_as_string(hide_password=False)
    setup = make_engine(url)
    SQLModel.metadata.create_all(setup)
    setup.dispose()
    yield url
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def _empty_postgres(engine: Engine) -> None:
    tables = ", ".join(f'"{t.name}"' for t in SQLModel.metadata.sorted_tables)
    with engine.begin() as conn:
        conn.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def engine(request: pytest.FixtureRequest, tmp_path: object) -> Iterator[Engine]:
    """An empty schema on SQLite, then on PostgreSQL."""
    if request.param == "sqlite":
        eng = make_engine(f"sqlite:///{tmp_path}/meterbot.db")
        SQLModel.metadata.create_all(eng)
    else:
        eng = make_engine(request.getfixturevalue("postgres_url"))
        _empty_postgres(eng)
    yield eng
    eng.dispose()


@pytest.fixture(scope="module")
def moto_server() -> Iterator[str]:
    """moto's server on loopback, for clients that speak HTTP themselves (the CRT's S3
    client) or run in another thread than the test (SQS consumers)."""
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


@pytest.fixture
def database_url(engine: Engine) -> str:
    """The URL of `engine`'s database, for code that opens its own engine."""
    return engine.url.render_as_string(hide_password=False)


@pytest.fixture
def session(engine: Engine) -> Iterator[Session]:
    with Session(engine, expire_on_commit=False) as s:
        yield s
