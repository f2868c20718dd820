"""What meterbot tells people: digests, charts, status, job runs, metrics.

Entry points: digests.build_digest, charts.usage_chart, status.collect_status,
job_runs, metrics.
"""
