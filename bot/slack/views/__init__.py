"""Pure Block Kit builders: plain data in, blocks or a view (plain dicts) out.

Nothing here talks to Slack or the database; tests validate every builder's output
with slack_sdk.models.
"""
