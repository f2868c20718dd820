"""The newest migration's revision: start-up compares the database with it in one query.

Write the new revision here when adding a migration (tests/test_migrations.py fails
until this names the head Alembic finds).
"""

HEAD = "ingest_unreadable_objects"
