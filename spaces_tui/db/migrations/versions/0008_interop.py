"""Interop: the database's own id (for stable iCalendar UIDs) and event relays' positions.

Revision ID: 0008
Revises: 0007
"""

from spaces_tui.db.migrations import apply_sql_files

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

SQL_FILES = ["019_interop.sql"]


def upgrade() -> None:
    apply_sql_files(SQL_FILES)
