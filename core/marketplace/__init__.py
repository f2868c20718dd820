"""Sending metered usage to AWS Marketplace: due records, the ledger, the client, the pass.

window (which hours Marketplace still takes), due (records from rollups, in the decimal
strings and carry of core.quantities), ledger (the outbox), client (BatchMeterUsage),
submit (passes).
"""
