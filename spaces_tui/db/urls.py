"""Database URLs as people write them: postgresql://USER:PASSWORD@HOST:PORT/DATABASE, or
SQLAlchemy's postgresql+psycopg://... spelling of the same."""

from __future__ import annotations

from urllib.parse import SplitResult, urlsplit

from spaces_tui.db.errors import InvalidDatabaseUrl

SCHEMES = ("postgresql", "postgres")


def _split(url: str) -> SplitResult:
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - reading it is what checks it is a number
    except ValueError as error:
        raise InvalidDatabaseUrl(f"cannot read the database URL {url!r}: {error}") from error
    scheme = parts.scheme.lower().partition("+")[0]
    if scheme not in SCHEMES or not url[len(parts.scheme) :].startswith("://"):
        raise InvalidDatabaseUrl(
            f"{url!r} is not a PostgreSQL URL; use postgresql://USER@HOST/DATABASE"
        )
    return parts


def libpq_url(url: str) -> str:
    """The URL as psql and psycopg take it: unchanged if it already is one (re-rendering would
    percent-encode a socket path), else without the SQLAlchemy driver name. InvalidDatabaseUrl
    for anything that is not a PostgreSQL URL."""
    parts = _split(url)
    if "+" not in parts.scheme:
        return url
    return "postgresql" + url[len(parts.scheme) :]


def shown_url(url: str) -> str:
    """The URL for people to read: its password, if it has one, as ***."""
    parts = _split(url)
    if parts.password is None:
        return url
    user_and_password, _, host = parts.netloc.rpartition("@")
    user = user_and_password.partition(":")[0]
    return parts._replace(netloc=f"{user}:***@{host}").geturl()
