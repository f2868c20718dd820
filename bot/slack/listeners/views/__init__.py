"""Modal submissions: the enter-usage form, its confirm view, a usage file's confirm view,
the refund form and its confirm step."""

from slack_bolt.async_app import AsyncApp

from bot.slack import ids

from .confirm_send import confirm_send
from .refund_confirmed import refund_confirmed
from .refund_entered import refund_entered
from .upload_confirmed import upload_confirmed
from .usage_entered import usage_entered


def register(app: AsyncApp) -> None:
    app.view_submission(ids.ENTER_USAGE_VIEW)(usage_entered)
    app.view_submission(ids.CONFIRM_VIEW)(confirm_send)
    app.view_submission(ids.UPLOAD_CONFIRM_VIEW)(upload_confirmed)
    app.view_submission(ids.REFUND_FORM_VIEW)(refund_entered)
    app.view_submission(ids.REFUND_CONFIRM_VIEW)(refund_confirmed)
