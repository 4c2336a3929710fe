"""The core engine's tables: resources, reservations, blackouts, claims, the conflict check's
obstacle, events (their rules are in sql/rules/).

Revision ID: 0001
Revises:
"""

from spaces_tui.db.migrations import apply_sql_files

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

SQL_FILES = [
    "001_foundation.sql",
    "002_resources.sql",
    "003_reservations.sql",
    "004_blackouts.sql",
    "005_claims.sql",
    "006_conflict_check.sql",
    "007_events.sql",
]


def upgrade() -> None:
    apply_sql_files(SQL_FILES)
