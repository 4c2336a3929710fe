"""Argument types and shapes more than one command module shares: a value the parser cannot
use is bad input like any other (BadInput, exit 2), said in the option's own words."""

from __future__ import annotations

import argparse
import re
from collections.abc import Callable
from datetime import timedelta

from spaces_tui.engine.errors import BadInput, quoted
from spaces_tui.engine.times import parse_duration

INTEGER_MAX = 2**31 - 1  # capacities and headcounts are PostgreSQL integers
WHOLE = re.compile(r"[+-]?\d{1,30}")  # no int() of thousands of digits


def whole_number(text: str, what: str) -> int:
    if not WHOLE.fullmatch(text.strip()):
        raise BadInput(f"{what} {quoted(text)} is not a whole number")
    return int(text)


def count(what: str) -> Callable[[str], int]:
    """type= for a capacity or headcount: 1 up to what the database's integer holds."""

    def checked(text: str) -> int:
        value = whole_number(text, what)
        if not 1 <= value <= INTEGER_MAX:
            raise BadInput(f"{what} {quoted(text)} must be 1 to {INTEGER_MAX}")
        return value

    return checked


def duration(what: str) -> Callable[[str], timedelta]:
    """type= for a length of time (DURATION_FORMS)."""
    return lambda text: parse_duration(text, what)


def times(parser: argparse.ArgumentParser) -> None:
    """START and END of a period, as a booking takes them."""
    parser.add_argument("start", metavar="START", help="start time, e.g. 2026-12-01T14:00")
    parser.add_argument("end", metavar="END", help="end time, time of day or duration (+2h)")
