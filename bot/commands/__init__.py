"""The CLI verbs, one module each; each module has `register(verbs)` that sets `run`.

A verb's module pulls in what it needs (the database, Polars, boto3, aiohttp,
matplotlib), which takes seconds, so only the verb being run is imported:
`meterbot --help` lists the verbs from the table below alone.
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

# Every verb, in the order `meterbot --help` lists them, with its one line of help
# (the module's own parser says the same: tests/test_cli_help.py checks).
VERBS = {
    "demo": "the pipeline end to end on sample data, no account needed",
    "plans": "plans as code",
    "ingest": "ingest new usage objects once, then exit",
    "submit": "send due metering records to AWS Marketplace",
    "ledger": "the audit trail of what was sent to Marketplace",
    "invoice": "a customer's invoice for a month",
    "sync-customers": "read customer accounts from Salesforce into meterbot",
    "status": "ingestion lag, problems waiting, the ledger's backlog (as /meter status)",
    "problems": "quarantined lines, unknown usage ids, unreadable objects, unsent records",
    "sync-agreements": "read AWS Marketplace agreements into customers and contracts",
    "reconcile": "check the ledger against what AWS received and invoiced",
    "serve": "run the Slack app (and the scheduler)",
    "worker": "run the scheduled jobs only (no HTTP) until stopped",
    "db": "database schema",
}


def register(verbs: Any, name: str) -> None:
    """Import the verb's module and let it add its parser (with `run`)."""
    import_module(f"bot.commands.{name.replace('-', '_')}").register(verbs)
