"""Objects parked as unreadable: taking them up again after a fix.

A parked object (failures.py) is left alone by every pass. Once its cause is fixed
(a field mapping, a new meterbot, a repaired bucket policy) `meterbot ingest --retry
KEY` or `--retry-unreadable` turns it back into a failed object with a clean slate,
and the same pass reads it again. Objects that failed recently and wait out their
pause can be named too, to retry them now.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import update
from sqlmodel import Session, col

from core.errors import NotFound
from core.models import IngestedObject
from core.models.ingest import ObjectStatus

_WAITING = (ObjectStatus.UNREADABLE, ObjectStatus.FAILED)


def take_up_again(session: Session, *, source: str, keys: Sequence[str] | None) -> list[str]:
    """Mark these keys' unreadable or failed objects (every unreadable one when `keys` is
    None) to be read by the next pass; the keys taken up. A key with nothing to take up
    is refused, naming it (the caller's transaction rolls back: nothing changes)."""
    where = [col(IngestedObject.source) == source]
    if keys is None:
        where.append(col(IngestedObject.status) == ObjectStatus.UNREADABLE)
    else:
        where += [col(IngestedObject.status).in_(_WAITING), col(IngestedObject.key).in_(keys)]
    statement = (
        update(IngestedObject)
        .where(*where)
        .values(status=ObjectStatus.FAILED, failures=0, retry_after=None)
        .returning(col(IngestedObject.key))
    )
    taken = sorted(set(session.execute(statement).scalars()))
    if keys is not None and (missing := sorted(set(keys) - set(taken))):
        raise NotFound(
            f"no unreadable or failed object {', '.join(missing)} in {source} "
            "(keys are relative to the source, as the ingest summary prints them)"
        )
    return taken
