"""Metering plans: the plans file, checking and applying it, and the plan in force.

Entry points: file.load_plan_file, apply.apply_plan_file, versions.plan_version_at /
prices_of, summary (plans in words), report (what an apply did).
"""
