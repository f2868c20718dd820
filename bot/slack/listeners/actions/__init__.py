"""Buttons and menus in messages and the home tab."""

from slack_bolt.async_app import AsyncApp

from bot.slack import ids

from .contracts_page import contracts_page
from .enter_usage import enter_usage
from .home_refresh import home_refresh
from .picked import contracts_picked
from .request_refund import request_refund
from .retry_records import retry_records
from .upload_discard import upload_discard
from .upload_review import upload_review


def register(app: AsyncApp) -> None:
    app.action(ids.CONTRACT_PICKER)(contracts_picked)
    app.action(ids.ENTER_USAGE)(enter_usage)
    app.action(ids.CONTRACTS_PREV)(contracts_page)
    app.action(ids.CONTRACTS_NEXT)(contracts_page)
    app.action(ids.RETRY_RECORDS)(retry_records)
    app.action(ids.HOME_REFRESH)(home_refresh)
    app.action(ids.UPLOAD_REVIEW)(upload_review)
    app.action(ids.UPLOAD_DISCARD)(upload_discard)
    app.action(ids.REQUEST_REFUND)(request_refund)
