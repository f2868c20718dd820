"""The refund modal on an over-charged invoice, and the confirm step pushed after it.

Pure builders: they take the `RefundDraft` (what AWS allows on the invoice) and what the
admin typed, and return views. The finding, the channel and the typed values travel in
`private_metadata`, so the confirm step asks for exactly what the admin saw.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from decimal import Decimal

from bot.slack import ids
from core.reconcile.adjustments import REASON
from core.reconcile.refunds import RefundDraft

from .blocks import Block, context, esc, fields, modal, money, plain, section


@dataclass(frozen=True)
class RefundAsk:
    """What the form says to ask: the finding, where to announce it, the amount, why."""

    finding_id: int
    channel: str
    amount: Decimal
    description: str

    def metadata(self) -> str:
        return json.dumps({"f": self.finding_id, "ch": self.channel, "a": f"{self.amount:f}",
                           "d": self.description})  # fmt: skip

    @classmethod
    def from_metadata(cls, text: str) -> RefundAsk:
        data = json.loads(text or "{}")
        return cls(int(data["f"]), str(data["ch"]), Decimal(data["a"]), str(data["d"]))


def refund_form_view(draft: RefundDraft, *, channel: str) -> dict[str, object]:
    """Invoice, amount (prefilled, at most AWS's maximum), reason and a description."""
    blocks: list[Block] = [
        *fields(_facts(draft)),
        _input(ids.REFUND_AMOUNT_BLOCK, f"Amount ({draft.currency})", _number(draft)),
        context(
            f"At most {money(draft.max_amount, draft.currency)} (AWS's maximum for "
            "the invoice); AWS refunds to the buyer's payment method."
        ),
        _input(ids.REFUND_DESCRIPTION_BLOCK, "Description", _text(draft.description)),
    ]
    meta = json.dumps({"f": draft.finding_id, "ch": channel})
    return modal("Request refund", blocks, callback_id=ids.REFUND_FORM_VIEW, submit="Review",
                 close="Cancel", private_metadata=meta)  # fmt: skip


def refund_confirm_view(draft: RefundDraft, ask: RefundAsk) -> dict[str, object]:
    """What will be asked of AWS, once, on Confirm."""
    blocks: list[Block] = [
        section(
            f"Ask AWS to refund *{money(ask.amount, draft.currency)}* on invoice "
            f"`{esc(draft.invoice_id)}`?"
        ),
        *fields(
            [
                ("Agreement", draft.agreement_id),
                ("Reason", REASON),
                ("Description", ask.description),
            ]
        ),
        context("AWS reviews the request; its status is announced in the channel."),
    ]
    return modal("Confirm refund", blocks, callback_id=ids.REFUND_CONFIRM_VIEW,
                 submit="Confirm", close="Back", private_metadata=ask.metadata())  # fmt: skip


def _facts(draft: RefundDraft) -> list[tuple[str, str]]:
    return [
        ("Invoice", draft.invoice_id),
        ("Agreement", draft.agreement_id),
        ("Over-billed", money(draft.over_billed, draft.currency)),
        ("Reason", REASON),
    ]


def _input(block_id: str, label: str, element: dict[str, object]) -> Block:
    return {"type": "input", "block_id": block_id, "label": plain(label), "element": element}


def _number(draft: RefundDraft) -> dict[str, object]:
    return {"type": "number_input", "action_id": ids.REFUND_AMOUNT, "is_decimal_allowed": True,
            "initial_value": f"{draft.suggested:f}"}  # fmt: skip


def _text(initial: str) -> dict[str, object]:
    return {"type": "plain_text_input", "action_id": ids.REFUND_DESCRIPTION, "multiline": True,
            "max_length": 500, "initial_value": initial[:500]}  # fmt: skip
