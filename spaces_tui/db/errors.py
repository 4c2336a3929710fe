"""Failures of the database itself, as opposed to a rule it enforced."""


class DatabaseUnavailable(RuntimeError):
    """The database cannot be reached or started; the message says where and why."""
