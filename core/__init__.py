"""meterbot's domain and its adapters: models, plans, pricing, rollups, ledger, ingestion."""
