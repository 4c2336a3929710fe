"""Insights: each resource's bookable hours for the whole week (bookable_week, replacing the
one daily window) and how near a blackout is worth a warning (blackout_margin).

Revision ID: 0006
Revises: 0005
"""

from spaces_tui.db.migrations import apply_sql_files

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

SQL_FILES = ["017_insights.sql"]


def upgrade() -> None:
    apply_sql_files(SQL_FILES)
