"""The enter-usage form refuses bad quantities next to the field, and sends nothing."""

from __future__ import annotations

import pytest

from tests.slack.conftest import Bot
from tests.slack.helpers import block_id, open_form_for
from tests.slack.signed import quantity_values


@pytest.mark.parametrize(
    ("storage", "calls", "field", "message"),
    [
        ("-1", None, "storage", "cannot be negative"),
        (None, "12.5", "calls", "whole number"),
        ("1000.5", None, "storage", "implausibly large"),
        ("abc", None, "storage", "not a number"),
        ("0.0000001", None, "storage", "6 decimal places"),
    ],
)
async def test_bad_quantity_is_shown_next_to_its_field(
    bot: Bot, storage: str | None, calls: str | None, field: str, message: str
) -> None:
    form = await open_form_for(bot, "acme")
    storage_block = block_id(bot, "Acme Corp", bot.world.storage_id)
    calls_block = block_id(bot, "Acme Corp", bot.world.calls_id)
    values = quantity_values({storage_block: storage, calls_block: calls})
    answer = await (await bot.says.submit(form, values, view_id="VFORM1")).json()
    assert answer["response_action"] == "errors"
    wanted = storage_block if field == "storage" else calls_block
    assert list(answer["errors"]) == [wanted]
    assert message in answer["errors"][wanted]
    assert bot.marketplace.calls == 0


async def test_unknown_dimension_and_empty_form(bot: Bot) -> None:
    form = await open_form_for(bot, "Acme")
    stale = block_id(bot, "Acme Corp", 9999)  # a dimension removed since the form opened
    answer = await (await bot.says.submit(form, quantity_values({stale: "5"}), view_id="V1")).json()
    assert answer == {
        "response_action": "errors",
        "errors": {stale: "this dimension is not part of the customer's plan any more"},
    }

    empty = quantity_values({block_id(bot, "Acme Corp", bot.world.storage_id): None})
    answer = await (await bot.says.submit(form, empty, view_id="V2")).json()
    assert "at least one quantity" in next(iter(answer["errors"].values()))
