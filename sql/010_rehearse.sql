-- The rehearse module: rehearsal sessions that always own their room. A session and its
-- reservation are made and cancelled together, in one transaction, and a session's time is its
-- reservation's time (there is no second copy to drift). When Spaces cancels or rejects the
-- reservation on its own (a manual cancel, a blackout that cancels what is in its way), the
-- session is flagged with the reason in that same transaction: no stale sessions. Its rules:
-- sql/rules/rehearse.sql.

CREATE SCHEMA IF NOT EXISTS rehearse;

CREATE TABLE rehearse.sessions (
    id             bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    title          text NOT NULL CHECK (btrim(title) <> ''),
    room_id        bigint NOT NULL REFERENCES spaces.resources (id),
    reservation_id bigint NOT NULL UNIQUE REFERENCES spaces.reservations (id),
    status         text NOT NULL DEFAULT 'scheduled'
                   CHECK (status IN ('scheduled', 'cancelled', 'flagged')),
    flag_reason    text,
    created_by     text NOT NULL DEFAULT spaces.current_actor(),
    created_at     timestamptz NOT NULL DEFAULT now(),
    CHECK ((status = 'flagged') = (flag_reason IS NOT NULL))
);
