"""Options for external select menus (the contract picker)."""

from slack_bolt.async_app import AsyncApp

from bot.slack import ids

from .contract_options import contract_options


def register(app: AsyncApp) -> None:
    app.options(ids.CONTRACT_PICKER)(contract_options)
