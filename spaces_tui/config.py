"""Where the database is and who is acting: settled once, from flags and the environment."""

from __future__ import annotations

import getpass
import os
from dataclasses import dataclass
from pathlib import Path

import platformdirs

DATABASE_URL_ENV = "SPACES_DATABASE_URL"
DATA_DIR_ENV = "SPACES_DATA_DIR"
ACTOR_ENV = "SPACES_ACTOR"
TIMEZONE_ENV = "SPACES_TZ"


@dataclass(frozen=True)
class Settings:
    """database_url is None for the embedded server, which keeps its data under data_dir."""

    database_url: str | None
    data_dir: Path
    actor: str
    timezone: str | None

    @property
    def embedded(self) -> bool:
        return self.database_url is None


def default_actor() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        # No name for this uid (a bare container): fall back to the number, still someone.
        return f"uid{os.getuid()}"


def load_settings(database_url: str | None = None, actor: str | None = None) -> Settings:
    """Flags win over the environment, which wins over the defaults."""
    env = os.environ
    data_dir = env.get(DATA_DIR_ENV) or platformdirs.user_data_dir("spaces-tui", appauthor=False)
    return Settings(
        database_url=database_url or env.get(DATABASE_URL_ENV) or None,
        data_dir=Path(data_dir).expanduser(),
        # Trimmed as --as is: ' lena ' would be another person to every rule; blank is unset.
        actor=(actor or env.get(ACTOR_ENV) or "").strip() or default_actor(),
        timezone=env.get(TIMEZONE_ENV) or None,
    )
