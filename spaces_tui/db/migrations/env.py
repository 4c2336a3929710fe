"""Alembic's entry point: always runs on the connection handed over by migrations.upgrade()."""

from alembic import context

from spaces_tui.db.migrations import VERSION_TABLE_SCHEMA

connection = context.config.attributes["connection"]
context.configure(
    connection=connection,
    version_table_schema=VERSION_TABLE_SCHEMA,
    transactional_ddl=True,
)
context.run_migrations()
