"""The names feeds and relays go by: their tables' CHECK, said here first so that a bad name is
a sentence rather than a constraint violation."""

from __future__ import annotations

import re

from spaces_tui.engine.errors import BadInput, quoted

NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,62}")


def check_name(name: str, what: str) -> str:
    """name when it is a good name for a what ('feed', 'relay'); BadInput saying the rule if not."""
    if not NAME.fullmatch(name):
        raise BadInput(
            f"{what} name {quoted(name)}: 1 to 63 letters, digits, '_', '.' or '-',"
            " starting with a letter or digit"
        )
    return name
