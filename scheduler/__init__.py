"""APScheduler jobs: which pass runs when, posting through the notifier."""
