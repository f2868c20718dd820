"""What meterbot tells people: digests, charts, status, job runs, metrics, contracts.

Entry points: digests.build_digest, charts.usage_chart, status.collect_status,
job_runs, metrics, contracts.contracts_page (a product's contracts with usage so far).
"""
