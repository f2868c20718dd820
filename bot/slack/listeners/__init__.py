"""Every listener, registered by package: one register(app) each, one callback per file."""

from slack_bolt.async_app import AsyncApp

from . import actions, commands, events, options, views


def register(app: AsyncApp) -> None:
    commands.register(app)
    actions.register(app)
    views.register(app)
    events.register(app)
    options.register(app)
