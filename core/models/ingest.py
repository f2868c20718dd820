"""Ingestion bookkeeping: which objects were counted, and the lines that could not be."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import UniqueConstraint
from sqlmodel import Field, SQLModel

from core.models.base import created_field, time_field


class IngestedObject(SQLModel, table=True):
    """One source object (bucket/folder, key, ETag): claimed, then done in the same
    transaction as its rollup increments, so it is counted exactly once."""

    __table_args__ = (UniqueConstraint("source", "key", "etag"),)

    id: int | None = Field(default=None, primary_key=True)
    source: str = Field(max_length=1024)
    key: str = Field(max_length=1024)
    etag: str = Field(max_length=255)
    size: int = 0
    status: str = Field(default="claimed", max_length=20, index=True)
    worker: str | None = Field(default=None, max_length=255)
    claimed_at: datetime = created_field()
    finished_at: datetime | None = time_field(default=None, nullable=True)
    records: int = 0
    rejected: int = 0
    unmatched: int = 0
    error: str | None = Field(default=None, max_length=2000)


class QuarantinedLine(SQLModel, table=True):
    """A line that could not be used, kept with the reason and (a cut of) its text."""

    id: int | None = Field(default=None, primary_key=True)
    object_id: int = Field(foreign_key="ingestedobject.id", index=True)
    line_no: int
    reason: str = Field(max_length=255, index=True)
    raw: str = Field(max_length=1000)
    created_at: datetime = created_field()
