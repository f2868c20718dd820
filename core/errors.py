"""Domain errors: each carries a message a user can act on.

Entry points (the CLI, Slack listeners, scheduler jobs) translate these into one
clear line, an ephemeral reply or a channel alert; anything else is a bug and is
logged with its traceback.
"""


class MeterbotError(Exception):
    """Base class for errors whose message is meant for the user."""


class ConfigError(MeterbotError):
    """Settings or a configuration file are wrong; the message names what and where."""


class PlanFileError(ConfigError):
    """A plans file does not validate; nothing was changed."""


class NotFound(MeterbotError):
    """A customer, product, plan or dimension named by the user does not exist."""


class Ambiguous(MeterbotError):
    """A name matched more than one thing; the message lists the candidates."""


class InvalidInput(MeterbotError):
    """User input (a quantity, a month, a flag) is not acceptable."""


class NotAllowed(MeterbotError):
    """The user may not do this (not in METERBOT_ADMINS); raised by core.access.Admins.

    `action` names the attempt for the audit trail; `subject` is what it was about.
    """

    def __init__(self, *, actor: str, action: str, what: str, subject: str = "") -> None:
        super().__init__(
            f"Sorry, only meterbot admins can {what}. Ask one of them, or ask for your "
            "Slack user id to be added to METERBOT_ADMINS."
        )
        self.actor, self.action, self.subject = actor, action, subject


class ExternalServiceError(MeterbotError):
    """An outside service (S3, Marketplace, Salesforce, Slack) failed after retries."""
