"""manifest.yml agrees with the app: its commands, events, interactivity, and the scopes
that the Web API methods the bot calls need, no more."""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import yaml

from bot.slack.listeners.commands import COMMANDS
from bot.slack.listeners.events import EVENTS
from tests.slack.conftest import Bot
from tests.slack.helpers import reply_containing
from tests.slack.signed import EVENTS as EVENTS_PATH
from tests.slack.signed import USER
from tests.slack.uploads import share

MANIFEST = Path(__file__).parents[2] / "manifest.yml"
# The bot token scope each Web API method needs (methods that need none map to None).
METHOD_SCOPES: dict[str, str | None] = {
    "auth.test": None,
    "chat.postMessage": "chat:write",
    "chat.postEphemeral": "chat:write",
    "views.open": None,
    "views.update": None,
    "views.push": None,
    "views.publish": None,
    "files.getUploadURLExternal": "files:write",
    "files.completeUploadExternal": "files:write",
    "upload": None,  # the upload URL itself
    "files.info": "files:read",
    "download": "files:read",  # a shared file's url_private_download, with the bot token
    "response_url": None,  # response URLs need no token
}


def _manifest() -> dict[str, Any]:
    return dict(yaml.safe_load(MANIFEST.read_text()))


def test_commands_events_and_interactivity_match_the_listeners() -> None:
    manifest = _manifest()
    commands = {c["command"] for c in manifest["features"]["slash_commands"]}
    assert commands == set(COMMANDS)
    settings = manifest["settings"]
    assert set(settings["event_subscriptions"]["bot_events"]) == set(EVENTS)
    assert manifest["features"]["app_home"]["home_tab_enabled"] is True
    interactivity = settings["interactivity"]
    assert interactivity["is_enabled"] is True
    urls = [c["url"] for c in manifest["features"]["slash_commands"]]
    urls += [
        settings["event_subscriptions"]["request_url"],
        interactivity["request_url"],
        interactivity["message_menu_options_url"],
    ]
    assert {urlparse(url).path for url in urls} == {EVENTS_PATH}


async def test_scopes_are_exactly_those_the_bot_uses(bot: Bot) -> None:
    await bot.says.command("usage acme day", user=USER)
    await bot.slack.wait_for("files.completeUploadExternal")
    await bot.says.command("digest", user=USER)
    await bot.slack.wait_for("chat.postMessage")
    await bot.says.command("enter acme")
    await bot.slack.wait_for("views.update")
    await bot.says.event({"type": "app_home_opened", "user": USER, "tab": "home"})
    await bot.slack.wait_for("views.publish", count=2)
    await bot.says.command("status", user=USER)
    await reply_containing(bot.slack, "meterbot status")
    await share(bot, "usage.csv", b"timestamp,customer,dimension,quantity\nx,y,z,1\n")
    await bot.slack.wait_for("download")

    called = {call.method for call in bot.slack.calls}
    unknown = called - set(METHOD_SCOPES)
    assert not unknown, f"add the scope these methods need to METHOD_SCOPES: {unknown}"
    needed = {METHOD_SCOPES[m] for m in called} - {None} | {"commands"}
    assert set(_manifest()["oauth_config"]["scopes"]["bot"]) == needed
