"""Usage files shared in Slack, from preview to send: recorded once, sent once.

A file is recorded with its content hash when its preview is posted; the same bytes
shared again are refused with a link to the first. Confirm send claims the upload
(previewed -> sending) in one conditional update, so however often it is pressed, and
by whomever, the rows go through the ledger (`send_manual`, the entry form's path) once.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Engine, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from core.access import UPLOAD_SEND, Admins
from core.db import one_transaction, session_scope
from core.errors import InvalidInput, NotFound
from core.ingest.context import load_context
from core.ingest.read.records import DEFAULT_MAX_AGE
from core.marketplace.records import Sender
from core.marketplace.submit import SubmitReport, send_manual
from core.models import AuditEvent, Customer, Dimension, UploadState, UsageUpload
from core.uploads.file import UploadReading, content_hash, read_upload
from core.uploads.summary import (
    PairTotal,
    UploadSummary,
    by_pair,
    entries_json,
    pair_total,
    rows_from_json,
    summarise,
)
from core.usage.manual_entry import Entry

SOURCE_PREFIX = "upload:"  # a ledger row's source: the file it came from


@dataclass(frozen=True)
class SharedFile:
    """Where a file was shared, by whom: what the preview reply and the upload row need."""

    file_id: str
    name: str
    user: str
    channel: str
    thread_ts: str
    permalink: str


@dataclass
class Preview:
    reading: UploadReading
    summary: UploadSummary
    upload_id: int | None  # None when nothing in the file can be sent


def preview_upload(session: Session, *, shared: SharedFile, data: bytes, now: datetime) -> Preview:
    """Read and summarise a shared file, and record it if anything can be sent.

    DuplicateUpload (before any parsing) if the same bytes were shared before; InvalidInput
    if it is no CSV, too large, empty, or has no usable line (AllLinesBad carries why)."""
    check_new(session, content_hash(data))
    context = load_context(session, now=now, max_age=DEFAULT_MAX_AGE)
    reading = read_upload(shared.name, data, context)
    summary = summarise(session, reading, now=now)
    if not summary.entries:
        return Preview(reading, summary, None)
    upload = record_upload(session, reading=reading, summary=summary, shared=shared, now=now)
    return Preview(reading, summary, upload.id)


class DuplicateUpload(InvalidInput):
    """The same file (by content) was shared before."""

    def __init__(self, first: UsageUpload) -> None:
        link = f"<{first.permalink}|{first.file_name}>" if first.permalink else first.file_name
        super().__init__(
            f"this file was already shared on {first.created_at:%Y-%m-%d %H:%M} UTC as {link} "
            f"({first.state}); nothing was read again, so nothing can be billed twice"
        )
        self.first_id = first.id


def check_new(session: Session, content_hash: str) -> None:
    """DuplicateUpload if a file with these bytes was shared before."""
    first = session.exec(
        select(UsageUpload).where(UsageUpload.content_hash == content_hash)
    ).first()
    if first is not None:
        raise DuplicateUpload(first)


def record_upload(
    session: Session,
    *,
    reading: UploadReading,
    summary: UploadSummary,
    shared: SharedFile,
    now: datetime,
) -> UsageUpload:
    """The upload, stored with what Confirm send will send; DuplicateUpload if known."""
    check_new(session, reading.content_hash)
    upload = UsageUpload(
        content_hash=reading.content_hash,
        file_id=shared.file_id,
        file_name=reading.name[:255],
        user_id=shared.user,
        channel_id=shared.channel,
        thread_ts=shared.thread_ts,
        permalink=shared.permalink[:1000],
        entries=entries_json(summary.entries),
        created_at=now,
        updated_at=now,
    )
    one_transaction(session)
    try:
        with session.begin_nested():
            session.add(upload)
    except IntegrityError:  # shared twice at the same moment: the other one won
        session.expire_all()
        check_new(session, reading.content_hash)
        raise
    return upload


def discard_upload(session: Session, *, upload_id: int, user: str, now: datetime) -> UsageUpload:
    upload = _claim(session, upload_id, to=UploadState.DISCARDED, user=user, now=now)
    session.add(_audit(user, "upload.discard", upload, now))
    return upload


def send_upload(
    engine: Engine,
    *,
    upload_id: int,
    actor: str,
    admins: Admins,
    client: Sender,
    now: datetime,
) -> tuple[UsageUpload, SubmitReport]:
    """Send an upload's rows through the ledger, once; the upload is then `sent` (or, after
    a dry run, still `previewed`). Someone not in `admins` is refused before it is claimed."""
    admins.require(actor, UPLOAD_SEND, subject=f"upload {upload_id}")
    with session_scope(engine) as session:
        upload = _claim(session, upload_id, to=UploadState.SENDING, user=actor, now=now)
        session.expunge(upload)
    entries = [
        Entry(r.customer_id, r.dimension_id, r.quantity, r.hour)
        for r in rows_from_json(upload.entries)
    ]
    source = f"{SOURCE_PREFIX}{upload.file_name}"[:100]
    try:
        report = send_manual(
            engine,
            entries=entries,
            actor=actor,
            admins=admins,
            client=client,
            now=now,
            source=source,
        )
    except (InvalidInput, NotFound):
        # Raised only while the rows are built, before their transaction commits: nothing
        # was written, so the upload may be reviewed again. Anything later leaves it
        # `sending`: its rows are on the ledger, and the submit pass sends what is pending.
        _set_state(engine, upload_id, UploadState.PREVIEWED, now)
        raise
    # A dry run (METERBOT_MARKETPLACE=dry-run) sent nothing: the file may still be sent.
    upload.state = UploadState.PREVIEWED if report.dry_run else UploadState.SENT
    _set_state(engine, upload_id, UploadState(upload.state), now)
    return upload, report


def load_upload(session: Session, upload_id: int) -> UsageUpload:
    upload = session.get(UsageUpload, upload_id)
    if upload is None:
        raise NotFound(f"no shared usage file #{upload_id}")
    return upload


def upload_totals(session: Session, upload: UsageUpload, *, now: datetime) -> list[PairTotal]:
    """What Confirm send will send, per customer and dimension, with estimates at `now`."""
    totals = []
    for (customer_id, dimension_id), rows in by_pair(rows_from_json(upload.entries)).items():
        customer = session.get(Customer, customer_id)
        dimension = session.get(Dimension, dimension_id)
        if customer is None or dimension is None:
            raise NotFound("a customer or dimension in this file no longer exists; share it again")
        totals.append(pair_total(session, customer.name, dimension.name, dimension.unit, rows, now))
    return totals


def _claim(
    session: Session, upload_id: int, *, to: UploadState, user: str, now: datetime
) -> UsageUpload:
    """Move a previewed upload to `to`; InvalidInput if it was sent or discarded already."""
    moved = session.execute(
        update(UsageUpload)
        .where(col(UsageUpload.id) == upload_id, col(UsageUpload.state) == UploadState.PREVIEWED)
        .values(state=to, sent_by=user, updated_at=now)
    )
    upload = load_upload(session, upload_id)
    session.refresh(upload)
    if moved.rowcount != 1:  # type: ignore[attr-defined]
        raise InvalidInput(f"{upload.file_name} was already {upload.state}; nothing more was done")
    return upload


def _set_state(engine: Engine, upload_id: int, state: UploadState, now: datetime) -> None:
    with session_scope(engine) as session:
        upload = load_upload(session, upload_id)
        upload.state, upload.updated_at = state, now


def _audit(actor: str, action: str, upload: UsageUpload, now: datetime) -> AuditEvent:
    return AuditEvent(
        at=now,
        actor=actor,
        action=action,
        subject=f"upload {upload.id}: {upload.file_name}"[:255],
        detail={"content_hash": upload.content_hash, "file_id": upload.file_id},
    )
