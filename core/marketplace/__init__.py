"""Sending metered usage to AWS Marketplace: due records, the ledger, the client, the pass.

quantities (decimal strings and carry), window (which hours Marketplace still takes),
due (records from rollups), ledger (the outbox), client (BatchMeterUsage), submit (passes).
"""
