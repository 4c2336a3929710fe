"""The scriptable face of Spaces. `main` maps every domain error, once, to an exit code."""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence
from typing import TextIO

from spaces_tui.cli import render
from spaces_tui.cli.commands import COMMANDS, Context
from spaces_tui.cli.parser import build_parser
from spaces_tui.config import load_settings
from spaces_tui.db.errors import DatabaseUnavailable, InvalidDatabaseUrl
from spaces_tui.engine.errors import (
    BadInput,
    Conflict,
    InvalidTransition,
    NotFound,
    PermissionDenied,
    SpacesError,
)

EXIT_UNEXPECTED = 1
EXIT_BAD_INPUT = 2
EXIT_CONFLICT = 3
EXIT_NOT_ALLOWED = 4
EXIT_INTERRUPTED = 130

_EXIT_CODES: list[tuple[type[SpacesError], int, str]] = [
    (BadInput, EXIT_BAD_INPUT, "bad_input"),
    (NotFound, EXIT_BAD_INPUT, "not_found"),
    (Conflict, EXIT_CONFLICT, "conflict"),
    (InvalidTransition, EXIT_NOT_ALLOWED, "invalid_transition"),
    (PermissionDenied, EXIT_NOT_ALLOWED, "permission_denied"),
]


def main(
    argv: Sequence[str] | None = None, out: TextIO | None = None, err: TextIO | None = None
) -> int:
    """Runs one command; returns its exit code. Never lets a traceback reach a user."""
    out = out or sys.stdout
    err = err or sys.stderr
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SpacesError as error:  # a value the parser refused (parser.py): one line, exit 2
        words = sys.argv[1:] if argv is None else argv
        return _report(error, out, err, "--json" in words)
    if args.command is None and not (out is sys.stdout and out.isatty() and sys.stdin.isatty()):
        parser.print_help(out)
        out.write("\nRun `spaces` in a terminal to open the calendar.\n")
        return 0
    action = getattr(args, f"{args.command}_command", None)
    ctx = Context(load_settings(args.db, args.actor), out, err)
    try:
        return COMMANDS[(args.command, action)](ctx, args)
    except SpacesError as error:
        return _report(error, ctx.out, ctx.err, getattr(args, "json", False))
    except InvalidDatabaseUrl as error:
        err.write(f"spaces: {error}\n")
        return EXIT_BAD_INPUT
    except DatabaseUnavailable as error:
        err.write(f"spaces: {error}\n")
        return EXIT_UNEXPECTED
    except KeyboardInterrupt:
        return EXIT_INTERRUPTED
    except BrokenPipeError:
        return 0  # the reader (head, less) went away; nothing left to say
    except Exception as error:  # a bug, not a user error: one line, the details on request
        if os.environ.get("SPACES_DEBUG"):
            raise
        err.write(
            f"spaces: unexpected error: {type(error).__name__}: {error}\n"
            "spaces: run again with SPACES_DEBUG=1 to see where it happened\n"
        )
        return EXIT_UNEXPECTED
    finally:
        ctx.close()


def _report(error: SpacesError, out: TextIO, err: TextIO, as_json: bool) -> int:
    code, name = next((code, name) for kind, code, name in _EXIT_CODES if isinstance(error, kind))
    err.write(f"spaces: {error}\n")
    if isinstance(error, Conflict):
        if as_json:
            shown = {
                "error": "conflict",
                "message": str(error),
                "conflicts": [render.obstacle_json(o) for o in error.obstacles],
            }
            if error.blocked:
                shown["blocked"] = [render.blocked_json(b) for b in error.blocked]
            render.print_json(shown, out)
        elif error.blocked:
            for blocked in error.blocked:
                err.write(f"  {render.blocked_line(blocked)}, in the way:\n")
                for obstacle in blocked.obstacles:
                    err.write("    " + render.obstacle_line(obstacle) + "\n")
        else:
            for obstacle in error.obstacles:
                err.write("  " + render.obstacle_line(obstacle) + "\n")
    elif as_json:
        render.print_json({"error": name, "message": str(error)}, out)
    return code
