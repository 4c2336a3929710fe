"""Recurring reservations (a series and its occurrence rows), the rehearse module's sessions, and
access: where the actor comes from (the app, or each person's own PostgreSQL role), who may
cancel, access for shared servers, and how long a request may wait before it is stalled.

Revision ID: 0003
Revises: 0002
"""

from spaces_tui.db.migrations import apply_sql_files

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

SQL_FILES = ["009_series.sql", "010_rehearse.sql", "011_access.sql"]


def upgrade() -> None:
    apply_sql_files(SQL_FILES)
