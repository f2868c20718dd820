"""Test worlds: plans files applied as `meterbot plans apply` applies them.

Each world's catalog (products, dimensions, plans, customers, usage ids, contracts and
entitlements) is a plans file here (`slack.yml`, `scheduler.yml`, `marketplace.yml`,
`ingest.yml`, `agreements.yml`), applied through core.plans by `plans.apply_world`; the
builders beside the tests (tests/slack/world.py, tests/scheduler/data.py, ...) look the
rows up and hand them to the tests. What a plans file cannot say is kept explicit and
small: usage (`usage.rollup`) and an AWS agreement as the sync records it
(`agreements.agree`).
"""
