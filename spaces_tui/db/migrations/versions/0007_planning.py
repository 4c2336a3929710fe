"""Planning: booking groups (several resources as one booking), moves linked both ways
(moved_from), and a trigram index to find bookings by title or booker.

Revision ID: 0007
Revises: 0006
"""

from spaces_tui.db.migrations import apply_sql_files

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

SQL_FILES = ["018_planning.sql"]


def upgrade() -> None:
    apply_sql_files(SQL_FILES)
