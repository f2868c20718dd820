"""Salesforce as the master of the customers it knows: accounts read, then upserted.

Entry points: sync.sync_from_salesforce (the service, for `meterbot sync-customers` and
the scheduled job) over sync.sync_customers; client (the simple-salesforce adapter).
Above customers and ingest: a sync ends by resolving the unmatched usage its new
usage ids now claim.
"""
