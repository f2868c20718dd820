"""/meter help, and the answer to a subcommand nobody knows."""

from __future__ import annotations

from bot.slack.subcommands import SUBCOMMANDS

from .blocks import Block, context, esc, section


def help_blocks(unknown: str | None = None, suggestions: list[str] | None = None) -> list[Block]:
    blocks: list[Block] = []
    if unknown is not None:
        hint = ""
        if suggestions:
            hint = " Did you mean " + " or ".join(f"`/meter {s}`" for s in suggestions) + "?"
        blocks.append(section(f"I don't know `{esc(unknown)}`.{hint}"))
    lines = [
        f"`/meter {s.name}{' ' + s.usage if s.usage else ''}`  {s.summary}"
        + (" _(admins)_" if s.admin else "")
        for s in SUBCOMMANDS
    ]
    blocks.append(section("*What /meter can do*\n" + "\n".join(lines)))
    blocks.append(
        context(
            "Name a customer by its name (any case; the start of it will do), Salesforce id, "
            "usage id or Marketplace id."
        )
    )
    return blocks


def help_text(unknown: str | None = None, suggestions: list[str] | None = None) -> str:
    if unknown is None:
        return "meterbot help"
    return f"I don't know {unknown!r}" + (
        f"; did you mean {suggestions[0]}?" if suggestions else ""
    )
