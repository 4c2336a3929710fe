"""Writes into one resource tree take turns, so racing inserts get a quick refusal instead of a
deadlock.

Revision ID: 0002
Revises: 0001
"""

from spaces_tui.db.migrations import apply_sql_files

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

SQL_FILES = ["008_tree_write_lock.sql"]


def upgrade() -> None:
    apply_sql_files(SQL_FILES)
