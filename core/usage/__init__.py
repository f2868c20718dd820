"""Usage as people and billing read it: rollups by period, series, contracts overview,
hand-entered usage.

Entry points: rollups.billed / period_usage, series.usage_series, overview,
manual_entry.
"""
