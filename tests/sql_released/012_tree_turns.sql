-- Every writer keeps the rules: writes into one resource tree take turns, and so does anything
-- that changes what a claim means (a resource's parent, its turnover buffer, whether it may be
-- booked at all, who approves it).
--
-- A tree's turn is a row lock on spaces.tree_turns, the row of the tree's top resource. Nobody
-- but Spaces' own functions can take it (no role is granted UPDATE on the table), unlike the
-- advisory locks this replaces, which any role that could connect could take and hold. The row is
-- updated, not just locked, so that a REPEATABLE READ or SERIALIZABLE writer whose snapshot is
-- older than the last turn in its tree fails with 40001 instead of working from a stale tree.
--
-- Who takes turns, always before touching a reservation, blackout or claim row:
--   a booking or blackout going in       its resource's tree           (trigger a_lock_tree)
--   spaces.set_status, lift_blackout,    the trees of what they change (before the row lock)
--   place_blackout, rehearse.cancel_session
--   a plain UPDATE of a status           its tree, from a trigger: after the row lock, so it can
--                                        meet one of the functions above in a deadlock (40P01);
--                                        granted roles cannot UPDATE those tables at all
--   a resource moved, re-buffered,       its old tree and its new one, in id order (trigger
--   (de)activated, its capacity or       a_lock_trees), and then every claim in its subtree is
--   approval changed                     made again against the tree as it now is
-- Turns are taken in increasing id of the top resource. A writer that finds the tree changed
-- under it while it waited (a move committed) takes the new tree's turn as well.

CREATE TABLE spaces.tree_turns (
    resource_id bigint PRIMARY KEY REFERENCES spaces.resources (id),
    turns       bigint NOT NULL DEFAULT 0
);
INSERT INTO spaces.tree_turns (resource_id) SELECT id FROM spaces.resources;
REVOKE ALL ON spaces.tree_turns FROM PUBLIC;

-- The top of the tree a resource is in (itself when it has no parent).
CREATE FUNCTION spaces.tree_top(p_resource_id bigint) RETURNS bigint
LANGUAGE sql STABLE AS $$
    SELECT line.resource_id FROM spaces.resource_line(p_resource_id) AS line
     ORDER BY line.depth DESC LIMIT 1
$$;

CREATE FUNCTION spaces.lock_trees(p_resource_ids bigint[]) RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    held bigint[] := '{}';
    wanted bigint[];
    top bigint;
BEGIN
    LOOP
        -- Each pass is a new statement, so after a wait it sees the tree as committed now.
        SELECT coalesce(array_agg(DISTINCT t.top ORDER BY t.top), '{}') INTO wanted
          FROM (SELECT spaces.tree_top(id) AS top FROM unnest(p_resource_ids) AS id) AS t
         WHERE t.top IS NOT NULL AND NOT t.top = ANY (held);
        EXIT WHEN cardinality(wanted) = 0;
        FOREACH top IN ARRAY wanted LOOP
            UPDATE spaces.tree_turns SET turns = turns + 1 WHERE resource_id = top;
        END LOOP;
        held := held || wanted;
    END LOOP;
END
$$;
REVOKE EXECUTE ON FUNCTION spaces.lock_trees(bigint[]) FROM PUBLIC;

-- The advisory-lock version, replaced by lock_trees.
DROP FUNCTION spaces.lock_tree(bigint);

CREATE OR REPLACE FUNCTION spaces.lock_tree_before_insert() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    PERFORM spaces.lock_trees(ARRAY[NEW.resource_id]);
    RETURN NEW;
END
$$;

-- Named to sort first: BEFORE triggers run in name order, and the turn comes before any check.
CREATE OR REPLACE TRIGGER a_lock_tree
    BEFORE INSERT OR UPDATE OF status ON spaces.reservations
    FOR EACH ROW EXECUTE FUNCTION spaces.lock_tree_before_insert();

CREATE OR REPLACE TRIGGER a_lock_tree
    BEFORE INSERT OR UPDATE OF status ON spaces.blackouts
    FOR EACH ROW EXECUTE FUNCTION spaces.lock_tree_before_insert();

CREATE FUNCTION spaces.resources_add_turn() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    INSERT INTO spaces.tree_turns (resource_id) VALUES (NEW.id);
    RETURN NULL;
END
$$;

CREATE TRIGGER resources_add_turn
    AFTER INSERT ON spaces.resources
    FOR EACH ROW EXECUTE FUNCTION spaces.resources_add_turn();

CREATE FUNCTION spaces.resources_lock_trees() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    PERFORM spaces.lock_trees(ARRAY[OLD.id, NEW.parent_id]);
    RETURN NEW;
END
$$;

CREATE TRIGGER a_lock_trees
    BEFORE UPDATE ON spaces.resources
    FOR EACH ROW
    WHEN (OLD.parent_id IS DISTINCT FROM NEW.parent_id
          OR OLD.buffer_minutes IS DISTINCT FROM NEW.buffer_minutes
          OR OLD.active IS DISTINCT FROM NEW.active
          OR OLD.capacity IS DISTINCT FROM NEW.capacity
          OR OLD.requires_approval IS DISTINCT FROM NEW.requires_approval
          OR OLD.approvers IS DISTINCT FROM NEW.approvers)
    EXECUTE FUNCTION spaces.resources_lock_trees();

-- The cycle check no longer needs a lock of its own: two moves that could close a cycle (A under
-- B, B under A) both hold the turns of both trees, so the second sees the first.
CREATE OR REPLACE FUNCTION spaces.resources_guard_tree() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.parent_id IS NULL THEN
        RETURN NEW;
    END IF;
    IF NOT EXISTS (SELECT 1 FROM spaces.resources WHERE id = NEW.parent_id) THEN
        RAISE EXCEPTION 'no resource with id %', NEW.parent_id USING ERRCODE = 'SP004';
    END IF;
    IF TG_OP = 'UPDATE' AND EXISTS (
        SELECT 1 FROM spaces.resource_line(NEW.parent_id) WHERE resource_id = NEW.id
    ) THEN
        RAISE EXCEPTION '% cannot be placed inside %: that resource is inside it',
            NEW.name, (SELECT name FROM spaces.resources WHERE id = NEW.parent_id)
            USING ERRCODE = 'SP003';
    END IF;
    RETURN NEW;
END
$$;

-- One holder of claims, for people: "'Load-in' (reservation 12) on Truck, 2026-12-01 10:00-12:00".
CREATE FUNCTION spaces.holder_text(p_reservation_id bigint, p_blackout_id bigint) RETURNS text
LANGUAGE sql STABLE AS $$
    SELECT format('%s (%s %s) on %s, %s-%s', quote_literal(holder.what), holder.kind, holder.id,
                  res.name,
                  to_char(lower(holder.during) AT TIME ZONE res.timezone, 'YYYY-MM-DD HH24:MI'),
                  to_char(upper(holder.during) AT TIME ZONE res.timezone, 'YYYY-MM-DD HH24:MI'))
      FROM (SELECT 'reservation' AS kind, r.id, r.title AS what, r.resource_id, r.during
              FROM spaces.reservations r WHERE r.id = p_reservation_id
            UNION ALL
            SELECT 'blackout', b.id, b.reason, b.resource_id, b.during
              FROM spaces.blackouts b WHERE b.id = p_blackout_id) AS holder
      JOIN spaces.resources res ON res.id = holder.resource_id
$$;

-- What the claims of a subtree's holders would collide with if they were made again now: up to
-- five pairs, for the message that refuses the change.
CREATE FUNCTION spaces.subtree_collisions(p_subtree bigint[]) RETURNS text
LANGUAGE sql STABLE AS $$
    WITH wanted AS (
        SELECT r.id AS reservation_id, NULL::bigint AS blackout_id, c.*
          FROM spaces.reservations r, spaces.claim_rows(r.resource_id, r.during) AS c
         WHERE r.resource_id = ANY (p_subtree) AND spaces.is_active_status(r.status)
        UNION ALL
        SELECT NULL, b.id, c.*
          FROM spaces.blackouts b, spaces.claim_rows(b.resource_id, b.during, b.id) AS c
         WHERE b.resource_id = ANY (p_subtree) AND b.status = 'active'
    ), everything AS (
        SELECT reservation_id, blackout_id, resource_id, during, lanes, holders FROM wanted
        UNION ALL
        SELECT reservation_id, blackout_id, resource_id, during, lanes, holders FROM spaces.claims
    ), pairs AS (
        -- Each pair once, whichever side it was found from.
        SELECT DISTINCT least(w.key, e.key) AS one, greatest(w.key, e.key) AS other
          FROM (SELECT *, ARRAY[reservation_id, blackout_id] AS key FROM wanted) AS w
          JOIN (SELECT *, ARRAY[reservation_id, blackout_id] AS key FROM everything) AS e
            ON e.resource_id = w.resource_id AND e.during && w.during
           AND e.lanes && w.lanes AND e.holders && w.holders
           AND e.key IS DISTINCT FROM w.key
    )
    SELECT string_agg(spaces.holder_text(one[1], one[2]) || ' with '
                      || spaces.holder_text(other[1], other[2]), '; ')
      FROM (SELECT * FROM pairs ORDER BY one, other LIMIT 5) AS shown
$$;

-- Moving a resource in the tree or changing its turnover changes what its holders claim: claim
-- everything in the moved subtree again. A change that would make two of them collide is refused
-- with SP003, naming them. The trees' turns are held (a_lock_trees), so no booking can go in
-- against the old tree meanwhile, and none of the claims made here is stale.
CREATE OR REPLACE FUNCTION spaces.resources_reclaim() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    subtree bigint[] := ARRAY(SELECT resource_id FROM spaces.resource_subtree(NEW.id));
BEGIN
    DELETE FROM spaces.claims c
     USING spaces.reservations r
     WHERE c.reservation_id = r.id AND r.resource_id = ANY (subtree);
    DELETE FROM spaces.claims c
     USING spaces.blackouts b
     WHERE c.blackout_id = b.id AND b.resource_id = ANY (subtree);
    BEGIN
        PERFORM spaces.claim_for_reservation(r)
           FROM spaces.reservations r
          WHERE r.resource_id = ANY (subtree) AND spaces.is_active_status(r.status);
        PERFORM spaces.claim_for_blackout(b)
           FROM spaces.blackouts b
          WHERE b.resource_id = ANY (subtree) AND b.status = 'active';
    EXCEPTION WHEN exclusion_violation THEN
        RAISE EXCEPTION '% cannot %: it would make these collide: %', NEW.name,
            CASE WHEN OLD.parent_id IS DISTINCT FROM NEW.parent_id
                 THEN CASE WHEN NEW.parent_id IS NULL THEN 'leave its parent'
                           ELSE 'move inside ' || (SELECT name FROM spaces.resources
                                                     WHERE id = NEW.parent_id) END
                 ELSE 'take a turnover of ' || NEW.buffer_minutes || ' minutes' END,
            coalesce(spaces.subtree_collisions(subtree), 'its own bookings')
            USING ERRCODE = 'SP003';
    END;
    RETURN NULL;
END
$$;

-- Status changes as a function that takes the trees' turns before it locks any row, so it can
-- never wait for a row while holding a turn that the row's other writer waits for. Only what the
-- change records is written: a cancel records a cancel reason, a decision its note.
CREATE FUNCTION spaces.set_status(p_ids bigint[], p_status text, p_note text DEFAULT NULL)
RETURNS SETOF bigint
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    missing bigint;
    stuck spaces.reservations;
BEGIN
    SELECT wanted.rid INTO missing FROM unnest(p_ids) AS wanted (rid)
     WHERE NOT EXISTS (SELECT 1 FROM spaces.reservations r WHERE r.id = wanted.rid) LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION 'no reservation with id %', missing USING ERRCODE = 'SP004';
    END IF;
    IF p_status NOT IN ('confirmed', 'rejected', 'cancelled') THEN
        RAISE EXCEPTION 'a reservation is approved, rejected or cancelled, not set to %', p_status
            USING ERRCODE = 'SP001';
    END IF;
    PERFORM spaces.lock_trees(ARRAY(SELECT DISTINCT resource_id FROM spaces.reservations
                                     WHERE id = ANY (p_ids)));
    SELECT * INTO stuck FROM spaces.reservations r
     WHERE r.id = ANY (p_ids)
       AND NOT (r.status = 'pending' OR (r.status = 'confirmed' AND p_status = 'cancelled'))
     ORDER BY r.id LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION 'reservation % is %; it cannot become %', stuck.id, stuck.status, p_status
            USING ERRCODE = 'SP001';
    END IF;
    IF p_status = 'cancelled' THEN
        RETURN QUERY UPDATE spaces.reservations SET status = p_status, cancel_reason = p_note
                      WHERE id = ANY (p_ids) RETURNING id;
    ELSE
        RETURN QUERY UPDATE spaces.reservations SET status = p_status, decision_note = p_note
                      WHERE id = ANY (p_ids) RETURNING id;
    END IF;
END
$$;

CREATE FUNCTION spaces.lift_blackout(p_id bigint) RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    PERFORM spaces.lock_trees(ARRAY(SELECT resource_id FROM spaces.blackouts WHERE id = p_id));
    IF NOT EXISTS (SELECT 1 FROM spaces.blackouts WHERE id = p_id) THEN
        RAISE EXCEPTION 'no blackout with id %', p_id USING ERRCODE = 'SP004';
    END IF;
    IF (SELECT status FROM spaces.blackouts WHERE id = p_id) <> 'active' THEN
        RAISE EXCEPTION 'blackout % is already lifted', p_id USING ERRCODE = 'SP001';
    END IF;
    UPDATE spaces.blackouts SET status = 'lifted' WHERE id = p_id;
END
$$;

-- Adds a blackout, and (cancel_conflicting) cancels the active bookings in its way, all under
-- the tree's turn: what it cancels is exactly what is in the way when it goes in, and a cancel
-- racing it either comes first (and is not cancelled again) or finds the booking cancelled.
-- Returns the blackout's id and the reservations it cancelled.
CREATE FUNCTION spaces.place_blackout(p_resource_id bigint, p_during tstzrange, p_reason text,
                                      p_kind text DEFAULT 'maintenance',
                                      p_cancel_conflicting boolean DEFAULT false,
                                      OUT blackout_id bigint, OUT cancelled bigint[])
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    PERFORM spaces.lock_trees(ARRAY[p_resource_id]);
    cancelled := '{}';
    IF p_cancel_conflicting THEN
        cancelled := ARRAY(
            SELECT o.id FROM spaces.check_blackout_conflict(p_resource_id, p_during) AS o
             WHERE o.kind = 'reservation' ORDER BY o.id);
        IF cardinality(cancelled) > 0 THEN
            PERFORM spaces.set_status(cancelled, 'cancelled', 'blackout: ' || p_reason);
        END IF;
    END IF;
    INSERT INTO spaces.blackouts (resource_id, during, reason, kind)
    VALUES (p_resource_id, p_during, p_reason, p_kind)
    RETURNING id INTO blackout_id;
END
$$;

CREATE OR REPLACE FUNCTION spaces.add_blackout(p_resource_id bigint, p_during tstzrange,
                                               p_reason text,
                                               p_kind text DEFAULT 'maintenance',
                                               p_cancel_conflicting boolean DEFAULT false)
RETURNS spaces.blackouts
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    placed bigint := (spaces.place_blackout(p_resource_id, p_during, p_reason, p_kind,
                                            p_cancel_conflicting)).blackout_id;
    created spaces.blackouts;
BEGIN
    SELECT * INTO created FROM spaces.blackouts WHERE id = placed;
    RETURN created;
END
$$;

-- The session's room turn first, then the session, then its reservation: the order every other
-- writer of that room uses.
CREATE OR REPLACE FUNCTION rehearse.cancel_session(session_id bigint, reason text) RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    target rehearse.sessions;
BEGIN
    PERFORM spaces.lock_trees(ARRAY(SELECT s.room_id FROM rehearse.sessions s
                                     WHERE s.id = cancel_session.session_id));
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
