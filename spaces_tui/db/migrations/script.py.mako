"""${message}

Revision ID: ${up_revision}
Revises: ${down_revision | comma,n}
"""

from spaces_tui.db.migrations import apply_sql_files

revision = ${repr(up_revision)}
down_revision = ${repr(down_revision)}
branch_labels = None
depends_on = None

SQL_FILES: list[str] = []


def upgrade() -> None:
    apply_sql_files(SQL_FILES)
