"""Usage files shared with the bot in Slack: one row per file, found again by its content.

The content hash is unique, so the same file shared twice is recognised and refused
with a link to the first. The rows to send are kept with the upload, so a review hours
later sends exactly what the preview showed, without downloading the file again.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, Column
from sqlmodel import Field, SQLModel

from core.models.base import created_field


class UploadState(StrEnum):
    PREVIEWED = "previewed"  # read, summarised in the thread, waiting for Review and send
    SENDING = "sending"  # Confirm send was pressed: claimed by one sender
    SENT = "sent"
    DISCARDED = "discarded"


class UsageUpload(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    content_hash: str = Field(max_length=64, unique=True)  # SHA-256 of the file's bytes
    file_id: str = Field(max_length=50, index=True)
    file_name: str = Field(max_length=255)
    user_id: str = Field(max_length=50)  # who shared it
    channel_id: str = Field(max_length=50)
    thread_ts: str = Field(default="", max_length=50)
    permalink: str = Field(default="", max_length=1000)
    state: str = Field(default=UploadState.PREVIEWED, max_length=20, index=True)
    # [{customer_id, dimension_id, hour (ISO), quantity (text)}]: what Confirm send sends.
    entries: list[dict[str, Any]] = Field(default_factory=list, sa_column=Column(JSON))
    sent_by: str | None = Field(default=None, max_length=50)
    created_at: datetime = created_field()
    updated_at: datetime = created_field()
