"""Modal submissions: the enter-usage form and its confirm view."""

from slack_bolt.async_app import AsyncApp

from bot.slack import ids

from .confirm_send import confirm_send
from .usage_entered import usage_entered


def register(app: AsyncApp) -> None:
    app.view_submission(ids.ENTER_USAGE_VIEW)(usage_entered)
    app.view_submission(ids.CONFIRM_VIEW)(confirm_send)
