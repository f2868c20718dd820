"""Usage ingestion: usage objects (S3 or a local folder) into hourly rollups, exactly once.

sources (discovery) -> formats (bounded chunks) -> validate -> aggregate ->
rollup_writer (one transaction per object with its done mark); see docs/ingestion.md.
"""
