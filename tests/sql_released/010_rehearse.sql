-- The rehearse module: rehearsal sessions that always own their room. A session and its
-- reservation are made and cancelled together, in one transaction, and a session's time is its
-- reservation's time (there is no second copy to drift). When Spaces cancels or rejects the
-- reservation on its own (a manual cancel, a blackout that cancels what is in its way), the
-- session is flagged with the reason in that same transaction: no stale sessions.

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

CREATE FUNCTION rehearse.session_payload(s rehearse.sessions) RETURNS jsonb
LANGUAGE sql STABLE AS $$
    SELECT jsonb_build_object('session_id', s.id, 'title', s.title, 'status', s.status,
                              'reason', s.flag_reason)
$$;

-- Books the room and records the session together; a conflict raises (23P01) and leaves neither.
CREATE FUNCTION rehearse.create_session(title text, room_id bigint, during tstzrange)
RETURNS bigint
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    booked bigint;
    made rehearse.sessions;
BEGIN
    INSERT INTO spaces.reservations (resource_id, during, title)
    VALUES (create_session.room_id, create_session.during, create_session.title)
    RETURNING id INTO booked;
    INSERT INTO rehearse.sessions (title, room_id, reservation_id)
    VALUES (create_session.title, create_session.room_id, booked)
    RETURNING * INTO made;
    PERFORM spaces.emit('rehearse.session.created', made.room_id, booked, NULL,
                        rehearse.session_payload(made));
    RETURN made.id;
END
$$;

-- Cancels the session and releases its room in the same transaction.
CREATE FUNCTION rehearse.cancel_session(session_id bigint, reason text) RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    target rehearse.sessions;
BEGIN
    SELECT * INTO target FROM rehearse.sessions s WHERE s.id = cancel_session.session_id FOR UPDATE;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'no rehearsal session with id %', session_id USING ERRCODE = 'SP004';
    END IF;
    IF target.status = 'cancelled' THEN
        RAISE EXCEPTION 'rehearsal session % is already cancelled', session_id
            USING ERRCODE = 'SP001';
    END IF;
    UPDATE rehearse.sessions s SET status = 'cancelled', flag_reason = NULL
     WHERE s.id = target.id RETURNING * INTO target;
    -- A flagged session's reservation is already gone; a scheduled one's is released now.
    UPDATE spaces.reservations r SET status = 'cancelled', cancel_reason = cancel_session.reason
     WHERE r.id = target.reservation_id AND spaces.is_active_status(r.status);
    PERFORM spaces.emit('rehearse.session.cancelled', target.room_id, target.reservation_id, NULL,
                        rehearse.session_payload(target) || jsonb_build_object('reason', reason));
END
$$;

-- Spaces cancelled or rejected a session's reservation by itself: flag the session.
CREATE FUNCTION rehearse.flag_sessions() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    flagged rehearse.sessions;
BEGIN
    UPDATE rehearse.sessions s
       SET status = 'flagged',
           flag_reason = coalesce(NEW.cancel_reason, NEW.decision_note, NEW.status)
     WHERE s.reservation_id = NEW.id AND s.status = 'scheduled'
    RETURNING * INTO flagged;
    IF FOUND THEN
        PERFORM spaces.emit('rehearse.session.flagged', flagged.room_id, NEW.id, NULL,
                            rehearse.session_payload(flagged));
    END IF;
    RETURN NULL;
END
$$;

CREATE TRIGGER reservations_flag_sessions
    AFTER UPDATE OF status ON spaces.reservations
    FOR EACH ROW WHEN (NEW.status IN ('cancelled', 'rejected') AND OLD.status <> NEW.status)
    EXECUTE FUNCTION rehearse.flag_sessions();

-- Sessions change only through the functions above.
CREATE FUNCTION rehearse.sessions_guard() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.id <> OLD.id OR NEW.title <> OLD.title OR NEW.room_id <> OLD.room_id
       OR NEW.reservation_id <> OLD.reservation_id OR NEW.created_by <> OLD.created_by
       OR NEW.created_at <> OLD.created_at OR OLD.status = 'cancelled' THEN
        RAISE EXCEPTION 'rehearsal session % cannot be edited: cancel it and add another', OLD.id
            USING ERRCODE = 'SP003';
    END IF;
    RETURN NEW;
END
$$;

CREATE TRIGGER sessions_guard
    BEFORE UPDATE ON rehearse.sessions
    FOR EACH ROW EXECUTE FUNCTION rehearse.sessions_guard();
