"""The promise under every write: trees take turns through row locks only Spaces can take (moves,
buffer changes and status changes included), event ids that need no lock to stay in order, and
guards against forged ids, series, notes and edits, and against periods no reader can show.

Revision ID: 0004
Revises: 0003
"""

from spaces_tui.db.migrations import apply_sql_files

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

SQL_FILES = ["012_tree_turns.sql", "013_event_order.sql", "014_guards.sql"]


def upgrade() -> None:
    apply_sql_files(SQL_FILES)
