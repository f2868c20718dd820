"""The CLI verbs, one module each; each module has `register(verbs)` that sets `run`."""

from bot.commands import (
    db,
    demo,
    ingest,
    invoice,
    ledger,
    plans,
    problems,
    reconcile,
    serve,
    status,
    submit,
    sync_agreements,
    sync_customers,
    worker,
)

COMMANDS = [
    demo,
    plans,
    ingest,
    submit,
    ledger,
    invoice,
    sync_customers,
    status,
    problems,
    sync_agreements,
    reconcile,
    serve,
    worker,
    db,
]
