"""Connections, the embedded server and migrations. Knows nothing of the domain."""
