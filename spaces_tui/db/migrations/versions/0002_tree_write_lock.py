"""Writes into one resource tree took turns, so racing inserts got a quick refusal instead of a
deadlock. It made only rules (functions and triggers), which sql/rules/tree_turns.sql holds as
they are today; the revision stays so that databases stamped with it have their place.

Revision ID: 0002
Revises: 0001
"""

from spaces_tui.db.migrations import apply_sql_files

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

SQL_FILES: list[str] = []


def upgrade() -> None:
    apply_sql_files(SQL_FILES)
