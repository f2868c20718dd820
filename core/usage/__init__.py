"""Usage as people and billing read it: rollups by period, series, hand-entered usage.

Entry points: rollups.billed / period_usage, series.usage_series, manual_entry.
Below marketplace, billing and alerts, which read usage through it; it imports none
of them.
"""
