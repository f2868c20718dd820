"""Ingestion bookkeeping: which objects were counted, and the lines that could not be."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import JSON, Column, Index, UniqueConstraint
from sqlmodel import Field, SQLModel

from core.models.base import created_field, time_field


class ObjectStatus(StrEnum):
    CLAIMED = "claimed"  # a worker holds it until lease_until
    DONE = "done"  # counted: rollups and this mark committed together
    FAILED = "failed"  # the last attempt failed; retried from retry_after on
    UNREADABLE = "unreadable"  # failed the same way three times: parked until retried by hand
    REUPLOADED = "reuploaded"  # a new ETag of a key already counted: reported, not counted


class IngestedObject(SQLModel, table=True):
    """One source object (bucket/folder, key, ETag): claimed, then done in the same
    transaction as its rollup increments, so it is counted exactly once."""

    __table_args__ = (
        UniqueConstraint("source", "key", "etag"),
        Index("ix_ingestedobject_source_key", "source", "key"),
    )

    id: int | None = Field(default=None, primary_key=True)
    source: str = Field(max_length=1024)
    key: str = Field(max_length=1024)
    etag: str = Field(max_length=255)
    size: int = 0
    status: str = Field(default=ObjectStatus.CLAIMED, max_length=20, index=True)
    worker: str | None = Field(default=None, max_length=255)
    # A fresh token per claim: only the holder of the current claim may mark it done.
    claim_token: str | None = Field(default=None, max_length=64)
    lease_until: datetime | None = time_field(default=None, nullable=True)
    attempts: int = 0
    claimed_at: datetime = created_field()
    finished_at: datetime | None = time_field(default=None, nullable=True)
    records: int = 0
    rejected: int = 0
    unmatched: int = 0
    # Rejected lines per quarantine reason (every one counted, even past the stored cap).
    reasons: dict[str, int] = Field(default_factory=dict, sa_column=Column(JSON))
    error: str | None = Field(default=None, max_length=2000)
    # Attempts in a row that failed with this same error (a different error starts over).
    failures: int = 0
    # A failed object is not taken up again before this (backoff on passing trouble).
    retry_after: datetime | None = time_field(default=None, nullable=True)


class QuarantinedLine(SQLModel, table=True):
    """A line that could not be used, kept with the reason and (a cut of) its text."""

    id: int | None = Field(default=None, primary_key=True)
    object_id: int = Field(foreign_key="ingestedobject.id", index=True)
    line_no: int
    reason: str = Field(max_length=255, index=True)
    raw: str = Field(max_length=1000)
    created_at: datetime = created_field()
