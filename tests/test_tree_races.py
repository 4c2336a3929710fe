"""Every writer keeps the rules: moves in the tree, turnover changes and status changes racing
bookings and blackouts. Each race is run for real, on separate connections, and then SQL that
trusts neither the app nor the claims table says whether the promise held (tests/invariants.py)."""

from __future__ import annotations

import random
import threading
import time
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from functools import partial

import psycopg
import pytest
from invariants import assert_the_promise_holds

from spaces_tui.db.connection import Database
from spaces_tui.engine import blackouts, reservations, resources
from spaces_tui.engine.errors import BadInput, Conflict, InvalidTransition

DAY = datetime(2027, 4, 5, tzinfo=UTC)
INSERT = (
    "INSERT INTO spaces.reservations (resource_id, during, title)"
    " VALUES (%s, tstzrange(%s, %s), %s) RETURNING id"
)


@pytest.fixture
def venue(db):
    resources.add_resource(db, "Stage", "stage", timezone="UTC")
    resources.add_resource(db, "Left", "floor_area", parent="Stage")
    resources.add_resource(db, "Annex", "room", timezone="UTC")
    resources.add_resource(db, "Room", "room", timezone="UTC")
    return db


@pytest.fixture
def ids(venue, sql) -> dict[str, int]:
    return dict(sql.execute("SELECT name, id FROM spaces.resources").fetchall())


def at(hours: float) -> datetime:
    return DAY + timedelta(hours=hours)


def waiting_for_a_lock(sql: psycopg.Connection, pid: int, deadline: float = 30.0) -> None:
    """Returns once the backend pid waits for a lock; fails if it never does."""
    give_up = time.monotonic() + deadline
    while time.monotonic() < give_up:
        row = sql.execute(
            "SELECT wait_event_type FROM pg_stat_activity WHERE pid = %s", (pid,)
        ).fetchone()
        if row and row[0] == "Lock":
            return
        time.sleep(0.02)
    pytest.fail(f"backend {pid} never waited for a lock")


def in_background(work: Callable[[], object]) -> tuple[threading.Thread, list]:
    """Runs work in a thread; the list gets its result or the exception it raised."""
    outcome: list = []

    def run() -> None:
        try:
            outcome.append(work())
        except Exception as error:
            outcome.append(error)

    thread = threading.Thread(target=run)
    thread.start()
    return thread, outcome


# --- a move or a buffer change meeting a booking that is still open ----------------------------


@pytest.mark.parametrize("blocker", ["booking", "blackout"])
def test_a_move_waits_for_an_open_booking_and_claims_it_in_the_new_tree(
    database_url, sql, ids, blocker
):
    with psycopg.connect(database_url) as booker, psycopg.connect(database_url) as mover:
        booker.execute(INSERT, (ids["Annex"], at(10), at(12), "open across the move"))
        mover_pid = mover.info.backend_pid
        thread, outcome = in_background(
            lambda: mover.execute(
                "UPDATE spaces.resources SET parent_id = %s WHERE id = %s",
                (ids["Stage"], ids["Annex"]),
            )
        )
        waiting_for_a_lock(sql, mover_pid)  # the move takes its turn after the booking
        booker.commit()
        thread.join(30)
        assert not isinstance(outcome[0], Exception), outcome
        mover.commit()
    with pytest.raises(psycopg.errors.ExclusionViolation):
        if blocker == "booking":
            sql.execute(INSERT, (ids["Stage"], at(11), at(13), "over the annex"))
        else:
            sql.execute(
                "SELECT spaces.add_blackout(%s, tstzrange(%s, %s), 'rigging')",
                (ids["Stage"], at(11), at(13)),
            )
    assert_the_promise_holds(sql)


def test_a_booking_waits_for_an_open_move_and_claims_against_the_tree_it_commits(
    database_url, sql, ids
):
    with psycopg.connect(database_url) as mover, psycopg.connect(database_url) as booker:
        mover.execute(
            "UPDATE spaces.resources SET parent_id = %s WHERE id = %s",
            (ids["Stage"], ids["Annex"]),
        )
        thread, outcome = in_background(
            lambda: booker.execute(INSERT, (ids["Annex"], at(10), at(12), "after the move"))
        )
        waiting_for_a_lock(sql, booker.info.backend_pid)
        mover.commit()
        thread.join(30)
        assert not isinstance(outcome[0], Exception), outcome
        booker.commit()
    with pytest.raises(psycopg.errors.ExclusionViolation):
        sql.execute(INSERT, (ids["Stage"], at(11), at(13), "over the annex"))
    assert_the_promise_holds(sql)


def test_a_raised_buffer_waits_for_an_open_booking_and_keeps_the_turnover(database_url, sql, ids):
    with psycopg.connect(database_url) as booker, psycopg.connect(database_url) as changer:
        booker.execute(INSERT, (ids["Room"], at(10), at(11), "open across the change"))
        thread, outcome = in_background(
            lambda: changer.execute(
                "UPDATE spaces.resources SET buffer_minutes = 30 WHERE id = %s", (ids["Room"],)
            )
        )
        waiting_for_a_lock(sql, changer.info.backend_pid)
        booker.commit()
        thread.join(30)
        assert not isinstance(outcome[0], Exception), outcome
        changer.commit()
    with pytest.raises(psycopg.errors.ExclusionViolation):
        sql.execute(INSERT, (ids["Room"], at(11.25), at(12), "inside the new turnover"))
    assert_the_promise_holds(sql)


def test_a_repeatable_read_writer_with_an_older_tree_is_told_to_retry(database_url, sql, ids):
    """A snapshot taken before a move would claim against the old tree: it must fail (40001)."""
    with psycopg.connect(database_url) as stale:
        stale.execute("BEGIN ISOLATION LEVEL REPEATABLE READ")
        stale.execute("SELECT count(*) FROM spaces.resources")  # the snapshot is taken here
        sql.execute(
            "UPDATE spaces.resources SET parent_id = %s WHERE id = %s",
            (ids["Stage"], ids["Annex"]),
        )
        with pytest.raises(psycopg.errors.SerializationFailure):
            stale.execute(INSERT, (ids["Annex"], at(10), at(12), "from the old tree"))
    assert_the_promise_holds(sql)


def test_a_move_that_would_collide_is_refused_naming_both(sql, ids):
    sql.execute(INSERT, (ids["Annex"], at(10), at(12), "Annex call"))
    sql.execute(INSERT, (ids["Stage"], at(11), at(13), "Stage call"))
    with pytest.raises(psycopg.Error) as refused:
        sql.execute(
            "UPDATE spaces.resources SET parent_id = %s WHERE id = %s",
            (ids["Stage"], ids["Annex"]),
        )
    assert refused.value.sqlstate == "SP003"
    message = refused.value.diag.message_primary
    assert "Annex cannot move inside Stage" in message
    assert "'Annex call'" in message and "'Stage call'" in message
    assert_the_promise_holds(sql)


def test_two_moves_that_would_close_a_cycle_take_turns(database_url, sql, ids):
    with psycopg.connect(database_url) as first, psycopg.connect(database_url) as second:
        move = "UPDATE spaces.resources SET parent_id = %s WHERE id = %s"
        first.execute(move, (ids["Room"], ids["Annex"]))
        thread, outcome = in_background(lambda: second.execute(move, (ids["Annex"], ids["Room"])))
        waiting_for_a_lock(sql, second.info.backend_pid)
        first.commit()
        thread.join(30)
        second.rollback()
    assert isinstance(outcome[0], psycopg.Error) and outcome[0].sqlstate == "SP003", outcome
    assert sql.execute(
        "SELECT parent_id FROM spaces.resources WHERE id = %s", (ids["Room"],)
    ).fetchone() == (None,)


# --- churn: moves and buffers toggled while others book, black out and cancel -------------------


def _churn(database_url: str, ids: dict[str, int], seed: int, rounds: int, tally: Counter) -> None:
    """Moves Annex in and out of the stage and changes its buffer, through the engine and plain
    SQL by turns."""
    rng = random.Random(seed)
    db = Database(database_url, f"mover{seed}")
    try:
        with psycopg.connect(database_url, autocommit=True) as conn:
            for turn in range(rounds):
                parent = [ids["Stage"], None, ids["Left"], None][turn % 4]
                buffer = rng.choice([0, 0, 15])
                try:
                    if turn % 2:
                        name = {ids["Stage"]: "Stage", ids["Left"]: "Left", None: None}[parent]
                        resources.update_resource(db, "Annex", parent=name, buffer_minutes=buffer)
                    else:
                        conn.execute(
                            "UPDATE spaces.resources SET parent_id = %s, buffer_minutes = %s"
                            " WHERE id = %s",
                            (parent, buffer, ids["Annex"]),
                        )
                    tally["moved"] += 1
                except BadInput as refused:
                    assert "collide" in str(refused), refused
                    tally["move refused"] += 1
                except psycopg.Error as error:
                    # SP003: it would collide (23P01 before the refusal named what collides).
                    if error.sqlstate not in ("SP003", "23P01", "40P01"):
                        raise
                    tally["move deadlock" if error.sqlstate == "40P01" else "move refused"] += 1
                except Conflict as lost:
                    # Retryable: two turns taken in a new order after a move committed, and
                    # PostgreSQL chose one. Otherwise the move would collide (as the constraint
                    # saw it before the message was friendly): refused all the same.
                    tally["move deadlock" if lost.retryable else "move refused"] += 1
    finally:
        db.dispose()


def _book(database_url: str, ids: dict[str, int], seed: int, rounds: int, tally: Counter) -> None:
    """Books, blacks out and cancels around the annex and the stage, half through the engine."""
    rng = random.Random(seed)
    db = Database(database_url, f"booker{seed}")
    names = ["Annex", "Annex", "Stage", "Left"]
    try:
        with psycopg.connect(database_url, autocommit=True) as conn:
            conn.execute("SELECT set_config('spaces.actor', %s, false)", (f"booker{seed}",))
            mine: list[int] = []
            for turn in range(rounds):
                start = at(rng.randrange(0, 48) / 4)
                end = start + timedelta(minutes=15 * rng.randrange(1, 4))
                name = rng.choice(names)
                roll = rng.random()
                try:
                    if roll < 0.1:
                        conn.execute(
                            "SELECT spaces.add_blackout(%s, tstzrange(%s, %s), 'hold')",
                            (ids[name], start, end),
                        )
                    elif roll < 0.25 and mine:
                        reservations.cancel(db, mine.pop(rng.randrange(len(mine))), "done")
                    elif turn % 2:
                        mine.append(reservations.book(db, name, start, end, "engine").id)
                    else:
                        mine.append(
                            conn.execute(INSERT, (ids[name], start, end, "sql")).fetchone()[0]
                        )
                    tally["written"] += 1
                except (Conflict, psycopg.errors.ExclusionViolation):
                    tally["refused"] += 1
                except psycopg.errors.DeadlockDetected:
                    tally["deadlock"] += 1
    finally:
        db.dispose()


def test_moves_and_buffer_changes_churning_beside_bookings_never_break_the_promise(
    database_url, sql, ids
):
    tally: Counter = Counter()
    errors: list[BaseException] = []
    workers = [
        threading.Thread(
            target=_catching(partial(_churn, database_url, ids, seed, 60, tally), errors)
        )
        for seed in range(2)
    ] + [
        threading.Thread(
            target=_catching(partial(_book, database_url, ids, seed, 80, tally), errors)
        )
        for seed in range(6)
    ]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    assert not errors, errors
    assert tally["moved"] > 10 and tally["written"] > 50, tally
    assert tally["refused"] > 0, f"the race was not a race: {tally}"
    assert_the_promise_holds(sql)


def _catching(run: Callable[[], None], errors: list[BaseException]) -> Callable[[], None]:
    def wrapped() -> None:
        try:
            run()
        except BaseException as error:
            errors.append(error)

    return wrapped


# --- one order of locks: no deadlock inside one tree --------------------------------------------


def _writer(database_url: str, ids: dict[str, int], seed: int, barrier, tally: Counter) -> None:
    """Plain SQL in one tree: bookings, blackouts that cancel what is in their way, cancels and
    approvals through spaces.set_status."""
    rng = random.Random(seed)
    with psycopg.connect(database_url, autocommit=True) as conn:
        conn.execute("SELECT set_config('spaces.actor', 'boss', false)")
        barrier.wait()
        for _ in range(40):
            start = at(rng.randrange(0, 16) / 2)
            end = start + timedelta(minutes=30 * rng.randrange(1, 4))
            target = ids[rng.choice(["Stage", "Left"])]
            roll = rng.random()
            try:
                if roll < 0.25:
                    try:
                        conn.execute(
                            "SELECT spaces.add_blackout(%s, tstzrange(%s, %s), 'strike', 'hold',"
                            " true)",
                            (target, start, end),
                        )
                    except psycopg.errors.ExclusionViolation:
                        tally["blackout refused"] += 1  # it cancels what is in its way: never
                elif roll < 0.5:
                    victim = conn.execute(
                        "SELECT id FROM spaces.reservations"
                        " WHERE status IN ('pending', 'confirmed') ORDER BY random() LIMIT 1"
                    ).fetchone()
                    if victim:
                        status = rng.choice(["cancelled", "confirmed"])
                        conn.execute(
                            "SELECT spaces.set_status(ARRAY[%s]::bigint[], %s, 'why')",
                            (victim[0], status),
                        )
                else:
                    conn.execute(INSERT, (target, start, end, "sql"))
                tally["written"] += 1
            except psycopg.errors.DeadlockDetected:
                tally["deadlock"] += 1
            except psycopg.Error as refused:
                # In the way, or already decided or cancelled by a racer: the rules said no.
                assert refused.sqlstate in ("23P01", "SP001"), refused
                tally["refused"] += 1


def test_eight_writers_with_cancelling_blackouts_in_one_tree_never_deadlock(database_url, sql, ids):
    sql.execute(
        "UPDATE spaces.resources SET requires_approval = true, approvers = '{boss}' WHERE id = %s",
        (ids["Left"],),
    )
    barrier = threading.Barrier(8)
    tally: Counter = Counter()
    workers = [
        threading.Thread(target=_writer, args=(database_url, ids, seed, barrier, tally))
        for seed in range(8)
    ]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    assert tally["written"] > 50 and tally["refused"] > 0, tally
    assert tally["deadlock"] == 0 and tally["blackout refused"] == 0, tally
    assert_the_promise_holds(sql)


def _blackout_against_cancel(
    database_url: str, venue: Database, start: datetime
) -> tuple[int, object, object]:
    """Books Left at start, then races a stage blackout that cancels what is in its way against
    the booker's own cancel of it; returns the booking's id and the two outcomes."""
    booked = reservations.book(venue, "Left", start, start + timedelta(hours=1), "in the way")
    barrier = threading.Barrier(2)
    admin = Database(database_url, "tester")

    def blackout() -> object:
        barrier.wait()
        return blackouts.add_blackout(
            admin, "Stage", start, start + timedelta(hours=1), "strike", cancel_conflicting=True
        )

    def cancel() -> object:
        barrier.wait()
        return reservations.cancel(venue, booked.id, "plans changed")

    (placing, placed), (cancelling, cancelled) = in_background(blackout), in_background(cancel)
    placing.join(30)
    cancelling.join(30)
    admin.dispose()
    return booked.id, placed[0], cancelled[0]


def test_a_blackout_cancelling_races_a_cancel_of_the_same_booking(database_url, venue, sql):
    """Either the cancel comes first (and the blackout goes in over a free slot) or the blackout
    does (and the cancel is told it was cancelled by the blackout): never a refusal for a note
    written "after the decision", never a deadlock."""
    for round_ in range(6):
        booked, placed, cancelled = _blackout_against_cancel(database_url, venue, at(2 * round_))
        assert not isinstance(placed, Exception), placed
        if isinstance(cancelled, Exception):
            assert isinstance(cancelled, InvalidTransition), cancelled
            assert "blackout: strike" in str(cancelled)
            assert [r.id for r in placed[1]] == [booked]
        else:
            assert placed[1] == []
    assert_the_promise_holds(sql)
