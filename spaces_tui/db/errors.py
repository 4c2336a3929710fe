"""Failures of the database itself, as opposed to a rule it enforced."""


class DatabaseUnavailable(RuntimeError):
    """The database cannot be reached or started; the message says where and why."""


class InvalidDatabaseUrl(ValueError):
    """The database URL given is not a PostgreSQL URL at all: a usage error, not an outage."""
