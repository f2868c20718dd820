"""Events API subscriptions (see manifest.yml: bot_events)."""

from slack_bolt.async_app import AsyncApp

from .app_home_opened import app_home_opened
from .file_shared import file_shared

# Every event subscribed to; manifest.yml's bot_events must list exactly these.
EVENTS = {"app_home_opened": app_home_opened, "file_shared": file_shared}


def register(app: AsyncApp) -> None:
    for name, listener in EVENTS.items():
        app.event(name)(listener)
