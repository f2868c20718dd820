"""What applying a plans file did, entry by entry, and helpers the apply steps share."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from core.errors import PlanFileError

CREATED, UPDATED, UNCHANGED = "created", "updated", "unchanged"


@dataclass(frozen=True)
class Change:
    """What applying did to one entry: created, updated or unchanged, with a note."""

    kind: str
    key: str
    outcome: str
    note: str = ""


@dataclass
class ApplyReport:
    source: str
    changes: list[Change] = field(default_factory=list)
    resolved_unmatched: int = 0

    @property
    def changed(self) -> bool:
        return any(c.outcome != UNCHANGED for c in self.changes)

    def counts(self) -> dict[str, Counter[str]]:
        """kind -> outcome -> how many."""
        result: dict[str, Counter[str]] = {}
        for change in self.changes:
            result.setdefault(change.kind, Counter())[change.outcome] += 1
        return result

    def as_text(self, *, dry_run: bool = False) -> str:
        if dry_run:
            outcome = "would apply these changes" if self.changed else "nothing would change"
            lines = [f"dry run, nothing was changed: {self.source}: {outcome}"]
        else:
            lines = [f"{self.source}: " + ("applied" if self.changed else "nothing changed")]
        for kind, outcomes in self.counts().items():
            parts = [f"{n} {o}" for o in (CREATED, UPDATED, UNCHANGED) if (n := outcomes[o])]
            lines.append(f"  {kind}: {', '.join(parts)}")
        lines += [
            f"  {c.outcome} {c.kind} {c.key}" + (f": {c.note}" if c.note else "")
            for c in self.changes
            if c.outcome == UPDATED or (c.kind == "plan" and c.outcome == CREATED)
        ]
        if self.resolved_unmatched:
            moved = self.resolved_unmatched
            lines.append(f"  {moved} records of waiting unmatched usage moved to their customers")
        return "\n".join(lines)


def set_fields(row: Any, values: dict[str, Any]) -> bool:
    """Set the values that differ; True if any did."""
    changed = False
    for name, value in values.items():
        if getattr(row, name) != value:
            setattr(row, name, value)
            changed = True
    return changed


def refuse(source: str, where: str, message: str) -> PlanFileError:
    """A refusal naming the file, the entry and the field, like a validation error."""
    return PlanFileError(f"{source}: {where}: {message}")
