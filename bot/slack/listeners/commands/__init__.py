"""The /meter slash command: one dispatcher, one module per subcommand."""

from slack_bolt.async_app import AsyncApp

from bot.slack import ids

from .meter import meter_command

# Every slash command; manifest.yml's slash_commands must list exactly these.
COMMANDS = {ids.COMMAND: meter_command}


def register(app: AsyncApp) -> None:
    for name, listener in COMMANDS.items():
        app.command(name)(listener)
