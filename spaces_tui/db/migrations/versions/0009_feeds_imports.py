"""Interop, continued: calendar feeds (their keys kept hashed) and what iCalendar imports made.

Revision ID: 0009
Revises: 0008
"""

from spaces_tui.db.migrations import apply_sql_files

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

SQL_FILES = ["020_feeds_imports.sql"]


def upgrade() -> None:
    apply_sql_files(SQL_FILES)
