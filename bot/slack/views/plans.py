"""/meter plans: each plan's recurring fee, minimum and prices."""

from __future__ import annotations

from collections.abc import Sequence

from core.plans.summary import PlanSummary

from .blocks import MESSAGE_BLOCKS, Block, context, esc, money, section


def plans_blocks(plans: Sequence[PlanSummary]) -> list[Block]:
    if not plans:
        return [section("No plans yet: apply a plans file (`meterbot plans apply FILE`).")]
    blocks = [_plan(p) for p in plans[: MESSAGE_BLOCKS - 1]]
    if len(plans) > MESSAGE_BLOCKS - 1:
        blocks.append(context(f"…and {len(plans) - MESSAGE_BLOCKS + 1} more plans"))
    return blocks


def _plan(plan: PlanSummary) -> Block:
    head = f"*{esc(plan.name)}* (`{esc(plan.key)}`, {esc(plan.product)})"
    if plan.recurring_fee is None:
        return section(head + "\n_No prices in force yet._")
    lines = [head, f"Recurring fee {money(plan.recurring_fee, plan.currency)} a month"]
    if plan.minimum:
        lines[-1] += f", minimum commitment {money(plan.minimum, plan.currency)}"
    lines += [f"• {esc(p.dimension)}: {esc(p.text)}" for p in plan.prices]
    return section("\n".join(lines))
