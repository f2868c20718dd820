"""Who may do the admin-only things: send metering, retry failures, change alert rules.

The policy is built once in the composition root (bot.app.Services.admins) from
METERBOT_ADMINS and handed to the services, which refuse with `NotAllowed` before
doing anything. The entry points turn that error into a reply and an audit line.
"""

from __future__ import annotations

from dataclasses import dataclass

from core.errors import NotAllowed


@dataclass(frozen=True)
class Action:
    """An admin-only action: `name` for the audit trail, `what` for the person refused."""

    name: str
    what: str


ENTER_USAGE = Action("enter_usage", "enter and send usage")
SEND_USAGE = Action("send_usage", "send usage")
RETRY_RECORDS = Action("retry_records", "retry failed records")
CHANGE_ALERTS = Action("alerts_change", "change alert rules")
UPLOAD_USAGE = Action("upload_usage", "send usage from a file")
UPLOAD_SEND = Action("upload_send", "send usage")
UPLOAD_DISCARD = Action("upload_discard", "discard usage files")
REQUEST_REFUND = Action("request_refund", "request refunds")


@dataclass(frozen=True)
class Admins:
    """The people (Slack user ids) allowed to do admin-only actions."""

    users: frozenset[str]

    def allows(self, actor: str) -> bool:
        return actor in self.users

    def require(self, actor: str, action: Action, *, subject: str = "") -> None:
        """Return quietly for an admin; refuse anyone else with a message they can act on."""
        if not self.allows(actor):
            raise NotAllowed(actor=actor, action=action.name, what=action.what, subject=subject)
