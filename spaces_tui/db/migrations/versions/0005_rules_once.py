"""The rules (sql/rules/) are applied again whenever they change: their checksums are kept in
spaces.rules_applied. The statuses that hold a slot are spelled once (spaces.is_active_status),
and the constraints that named them call it.

Revision ID: 0005
Revises: 0004
"""

from spaces_tui.db.migrations import apply_sql_files

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

SQL_FILES = ["015_rules_applied.sql", "016_active_statuses.sql"]


def upgrade() -> None:
    apply_sql_files(SQL_FILES)
