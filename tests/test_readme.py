"""Every `spaces` command the README shows in a ```sh block runs as written, in order, against one
fresh database, and exits as the README says: a comment such as `# exit 3: ...` states the exit
status, no comment means 0.

How the blocks are read:
- ids: a command whose comment says `id NAME` (NAME in capitals, e.g. `# pending, id ID`) binds
  NAME to the first reservation id it printed (`Booked #12 ...`, or `"id"`/`"ids"` in its
  JSON); later commands get that number wherever NAME stands as a word.
- `spaces events --follow` runs until it is interrupted: it is started, must still be running,
  and must print an event made after it started; then it is stopped.
- `psql "$SPACES_DATABASE_URL" -c SQL...` (the shared-server set-up) runs its SQL on the test
  database, as the database's owner.

Skipped, on purpose:
- the set-up block (`python3 -m venv ... && .venv/bin/spaces`, `... pytest`): it installs the
  program and opens the calendar (the TUI), and this test already runs inside that set-up;
- `export SPACES_DATABASE_URL=...`: it names a server at db.example; here `--db` names the test
  database instead (every command gets `--db URL` put in front, nothing else);
- the benchmarks block (`.venv/bin/python benchmarks/run.py`): not a `spaces` command, and it
  runs for minutes.
Commands quoted inline in the prose (`spaces demo --reset`, `spaces resource set NAME ...`) are
not run: most stand for a shape (NAME, ID) rather than a command.
"""

from __future__ import annotations

import io
import json
import re
import shlex
from dataclasses import dataclass
from pathlib import Path

import psycopg
import pytest
from following import following

from spaces_tui.cli import main

README = Path(__file__).resolve().parent.parent / "README.md"
FIRST_SESSION = "A first session on the command line"


@dataclass(frozen=True)
class Line:
    section: str
    words: list[str]  # the command, split as sh would
    comment: str  # what follows its `#`, or ""

    @property
    def shown(self) -> str:
        return shlex.join(self.words) + (f"  # {self.comment}" if self.comment else "")

    @property
    def expected_exit(self) -> int:
        claimed = re.search(r"\bexit (\d+)", self.comment)
        return int(claimed.group(1)) if claimed else 0

    @property
    def binds(self) -> str | None:
        named = re.search(r"\bid ([A-Z][A-Z0-9_]*)\b", self.comment)
        return named.group(1) if named else None


def split_comment(line: str) -> tuple[str, str]:
    """The command and its comment: the first # outside quotes that starts a word."""
    quote = None
    for index, char in enumerate(line):
        if quote:
            quote = None if char == quote else quote
        elif char in "\"'":
            quote = char
        elif char == "#" and (index == 0 or line[index - 1].isspace()):
            return line[:index].rstrip(), line[index + 1 :].strip()
    return line.rstrip(), ""


def sh_blocks(text: str) -> list[tuple[str, list[str]]]:
    """(section, lines) of each ```sh block, continuation lines joined, blank lines dropped."""
    blocks = []
    section = ""
    lines = iter(text.splitlines())
    for line in lines:
        if line.startswith("#"):
            section = line.lstrip("#").strip()
        if line.strip() != "```sh":
            continue
        body: list[str] = []
        for inner in lines:
            if inner.strip() == "```":
                break
            body.append(inner)
        joined = "\n".join(body).replace("\\\n", " ")
        blocks.append((section, [line for line in joined.splitlines() if line.strip()]))
    return blocks


def readme_lines() -> list[Line]:
    parsed = []
    for section, lines in sh_blocks(README.read_text()):
        for text in lines:
            command, comment = split_comment(text)
            if command:
                parsed.append(Line(section, shlex.split(command), comment))
    return parsed


def is_setup(line: Line) -> bool:
    """The lines this test does not run (see the module's docstring for why)."""
    first = line.words[0]
    return (
        line.section.startswith("Set-up")
        or first == "export"
        or first.endswith("python")
        or first.startswith(".venv/")
    )


def printed_id(out: str) -> int:
    """The first reservation id a command printed: `#12` in its text, or its JSON's."""
    try:
        answer = json.loads(out)
    except json.JSONDecodeError:
        found = re.search(r"(?<!series )(?<!group )#(\d+)", out)  # not a series or group

        assert found, f"no id in {out!r}"
        return int(found.group(1))
    return answer["id"] if "id" in answer else answer["ids"][0]


def substituted(words: list[str], ids: dict[str, int]) -> list[str]:
    return [str(ids[word]) if word in ids else word for word in words]


def run_in_process(url: str, args: list[str]) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(["--db", url, *args], out=out, err=err)
    return code, out.getvalue(), err.getvalue()


def run_psql(url: str, words: list[str]) -> None:
    statements = [words[i + 1] for i, word in enumerate(words) if word == "-c"]
    with psycopg.connect(url, autocommit=True) as conn:
        for statement in statements:
            conn.execute(statement)


def follows(url: str, args: list[str], tmp_path: Path) -> None:
    """`spaces events --follow`: still running, and prints what happens after it started."""

    def probe(attempt: int) -> None:
        done = run_in_process(url, ["resource", "add", f"Follow probe {attempt}", "--kind", "room"])
        assert done[0] == 0, done

    with following(["--db", url, *args], tmp_path / "unused") as follower:
        seen = follower.first_line_while(probe)
        assert seen is not None, "events --follow printed nothing"
        assert "spaces.resource.created" in seen
        assert follower.process.poll() is None, "it keeps following"


def roles_named_in(lines: list[Line]) -> list[str]:
    return [
        name
        for line in lines
        if line.words[0] == "psql"
        for statement in line.words
        for name in re.findall(r"CREATE ROLE (\w+)", statement)
    ]


@pytest.fixture
def readme_roles(sql):
    """The roles the shared-server block creates (alice, bob) are the server's, not the test
    database's: made here only if no such roles exist, and dropped afterwards."""
    names = roles_named_in(readme_lines())
    may_create = sql.execute(
        "SELECT rolcreaterole OR rolsuper FROM pg_roles WHERE rolname = current_user"
    ).fetchone()[0]
    if not may_create:
        pytest.skip("the test server's role may not create roles (give it CREATEROLE)")
    taken = sql.execute("SELECT rolname FROM pg_roles WHERE rolname = ANY(%s)", (names,)).fetchall()
    if taken:
        pytest.skip(f"the test server already has roles named {taken}: not ours to drop")
    yield names
    for name in names:
        if sql.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", (name,)).fetchone():
            if sql.execute("SELECT 1 FROM spaces.access WHERE name = %s", (name,)).fetchone():
                sql.execute("SELECT spaces.revoke_access(%s)", (name,))
            sql.execute(f"DROP ROLE {name}")


def test_the_readme_shows_the_first_session_and_the_blocks_this_test_skips():
    lines = readme_lines()
    first = [line for line in lines if line.section == FIRST_SESSION]
    assert len(first) >= 15, "the first session is read"
    assert [line.words[:2] for line in first[:1]] == [["spaces", "resource"]]
    skipped = [line for line in lines if is_setup(line)]
    assert all(line.words[0] != "spaces" for line in skipped), [s.shown for s in skipped]


def test_every_command_in_the_readme_runs_as_written(database_url, readme_roles, tmp_path):
    ids: dict[str, int] = {}
    ran = 0
    for line in readme_lines():
        if is_setup(line):
            continue
        words = substituted(line.words, ids)
        if words[0] == "psql":
            run_psql(database_url, words)
            continue
        assert words[0] == "spaces", f"not a spaces command: {line.shown}"
        if "--follow" in words:
            follows(database_url, words[1:], tmp_path)
            continue
        code, out, err = run_in_process(database_url, words[1:])
        assert code == line.expected_exit, (
            f"[{line.section}] {line.shown}\nexited {code}, the README says"
            f" {line.expected_exit}\nstdout: {out}\nstderr: {err}"
        )
        if line.binds:
            ids[line.binds] = printed_id(out)
        ran += 1
    assert ran >= 20, "the README's commands were run"


def test_the_default_actor_may_cancel_what_it_booked(database_url, monkeypatch):
    """No --as and no SPACES_ACTOR: the user name books, and the same user name cancels."""
    monkeypatch.delenv("SPACES_ACTOR", raising=False)
    assert run_in_process(database_url, ["resource", "add", "Room", "--kind", "room"])[0] == 0
    code, out, err = run_in_process(
        database_url, ["book", "Room", "2027-01-10T10:00", "+1h", "--title", "Mine", "--json"]
    )
    assert code == 0, err
    booking = json.loads(out)
    code, _out, err = run_in_process(
        database_url, ["cancel", str(booking["id"]), "--reason", "plans changed"]
    )
    assert code == 0, err
