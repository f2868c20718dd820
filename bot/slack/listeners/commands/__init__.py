"""The /meter slash command: one dispatcher, one module per subcommand."""

from slack_bolt.async_app import AsyncApp

from bot.slack import ids

from .meter import meter_command


def register(app: AsyncApp) -> None:
    app.command(ids.COMMAND)(meter_command)
