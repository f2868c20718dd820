"""Usage files shared in Slack: read as ingestion reads, summarised, then sent once.

Entry points: service.preview_upload / send_upload / discard_upload; file (reading a
shared file and its limits), summary (what it would send). Above usage, ingest,
billing and marketplace, which it puts together: none of them imports it.
"""
