"""The process people run: the `meterbot` CLI, the composition root and the Slack bot."""
