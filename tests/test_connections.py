"""Database's own connections: kept between transactions, each carrying the actor, replaced
when the server has ended them, and never handing a caller a connection mid-transaction."""

from __future__ import annotations

import time

import psycopg
import pytest

from spaces_tui.db.connection import Database, first_value
from spaces_tui.engine import reservations, resources
from spaces_tui.engine.errors import Conflict

ACTOR = "select spaces.current_actor()"


def backend(db: Database) -> int:
    with db.statements() as conn:
        return conn.info.backend_pid


def end_backend(sql: psycopg.Connection, pid: int) -> None:
    """Ends pid as a restart or an idle timeout would, and waits until it has gone."""
    assert sql.execute("SELECT pg_terminate_backend(%s)", (pid,)).fetchone() == (True,)
    deadline = time.monotonic() + 30
    while sql.execute("SELECT 1 FROM pg_stat_activity WHERE pid = %s", (pid,)).fetchone():
        assert time.monotonic() < deadline, f"backend {pid} did not end"
        time.sleep(0.02)


def test_a_connection_is_kept_between_transactions_and_statements(db):
    first = backend(db)
    with db.transaction() as conn:
        assert conn.info.backend_pid == first
    assert backend(db) == first


@pytest.mark.parametrize("mode", ["transaction", "statements", "snapshot"])
def test_a_kept_connection_the_server_ended_is_replaced_unseen(db, sql, mode):
    dropped = backend(db)
    end_backend(sql, dropped)
    with getattr(db, mode)() as conn:
        assert first_value(conn.execute(ACTOR)) == "tester"
        assert conn.info.backend_pid != dropped


def test_every_connection_carries_the_actor_and_follows_a_change(database_url):
    db = Database(database_url, "lena")
    try:
        with db.statements() as conn:
            assert first_value(conn.execute(ACTOR)) == "lena"
        db.actor = "sam"
        with db.transaction() as conn:
            assert first_value(conn.execute(ACTOR)) == "sam"
        with db.statements() as conn:
            assert first_value(conn.execute(ACTOR)) == "sam"
    finally:
        db.dispose()


def test_a_rolled_back_first_transaction_does_not_lose_the_actor(database_url):
    """The actor is set in the first transaction a connection begins; a ROLLBACK undoes that
    setting with the rest, so the next use must set it again, not trust it is there."""
    db = Database(database_url, "lena")
    try:
        with pytest.raises(RuntimeError), db.transaction():
            raise RuntimeError("refused")
        with db.statements() as conn:
            assert first_value(conn.execute(ACTOR)) == "lena"
    finally:
        db.dispose()


def test_a_failed_statement_leaves_the_kept_connection_usable(db):
    with pytest.raises(psycopg.errors.DivisionByZero), db.statements() as conn:
        conn.execute("SELECT 1 / 0")
    with db.transaction() as conn:
        assert first_value(conn.execute("SELECT 2")) == 2


def test_a_column_named_twice_comes_back(db):
    with db.statements() as conn:
        row = conn.execute("SELECT 1 AS n, 2 AS n, 3").fetchone()
    assert tuple(row) == (1, 2, 3) and row.n == 1


def test_a_refused_booking_wrote_nothing_and_says_what_is_in_the_way(db, sql):
    """book() is one statement with no check before it: the constraint refuses, and only then
    is the database asked what was in the way."""
    resources.add_resource(db, "Room", "room", timezone="UTC")
    first = reservations.book(db, "Room", "2027-03-02T10:00", "+1h", "first")
    before = sql.execute("SELECT count(*) FROM spaces.events").fetchone()
    with pytest.raises(Conflict) as refused:
        reservations.book(db, "Room", "2027-03-02T10:30", "+1h", "second")
    assert [o.id for o in refused.value.obstacles] == [first.id]
    assert sql.execute("SELECT count(*) FROM spaces.reservations").fetchone() == (1,)
    assert sql.execute("SELECT count(*) FROM spaces.events").fetchone() == before
