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
    """The user may not do this (not in METERBOT_ADMINS)."""


class ExternalServiceError(MeterbotError):
    """An outside service (S3, Marketplace, Salesforce, Slack) failed after retries."""
