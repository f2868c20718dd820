"""One run of a job at a time: a PostgreSQL advisory lock across replicas, or a
process-local lock on SQLite (which serves one host anyway).

The advisory lock lives on a dedicated AUTOCOMMIT connection held for the run, so it
is never "idle in transaction" and is released by PostgreSQL if the process dies.
"""

from __future__ import annotations

import hashlib
import threading
from typing import Protocol

from sqlalchemy import Connection, Engine, text


class JobLocks(Protocol):
    def acquire(self, name: str) -> bool:
        """Take the job's lock without waiting; False if someone holds it."""
        ...

    def release(self, name: str) -> None: ...


def lock_key(name: str) -> int:
    """A stable signed 64-bit key per job name (pg advisory locks take a bigint)."""
    digest = hashlib.sha256(f"meterbot-job:{name}".encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


class ProcessLocks:
    def __init__(self) -> None:
        self._locks: dict[str, threading.Lock] = {}
        self._guard = threading.Lock()

    def acquire(self, name: str) -> bool:
        with self._guard:
            lock = self._locks.setdefault(name, threading.Lock())
        return lock.acquire(blocking=False)

    def release(self, name: str) -> None:
        self._locks[name].release()


class PostgresLocks:
    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self._held: dict[str, Connection] = {}

    def acquire(self, name: str) -> bool:
        conn = self._engine.connect().execution_options(isolation_level="AUTOCOMMIT")
        got = conn.execute(text("SELECT pg_try_advisory_lock(:k)"), {"k": lock_key(name)})
        if got.scalar():
            self._held[name] = conn
            return True
        conn.close()
        return False

    def release(self, name: str) -> None:
        conn = self._held.pop(name)
        try:
            conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": lock_key(name)})
        finally:
            conn.close()


def job_locks(engine: Engine) -> JobLocks:
    return PostgresLocks(engine) if engine.dialect.name == "postgresql" else ProcessLocks()
