-- Booking groups (sql/018_planning.sql): several resources booked as one, all rows or none.
-- Each row keeps its own resource's rules (a row on an approval resource is pending); the rows
-- go in together, in the transaction that made the group, and when one is rejected the others
-- are released in the same transaction: the requester asked for all of it or nothing.

-- How many resources one booking group may hold.
CREATE OR REPLACE FUNCTION spaces.group_limit() RETURNS integer
LANGUAGE sql IMMUTABLE AS $$ SELECT 20 $$;

-- New groups for the caller, with the turn of every tree their rows will go into taken first,
-- in the one order every writer uses: two groups over the same trees, inserting their rows in
-- any order, wait for each other instead of deadlocking.
CREATE OR REPLACE FUNCTION spaces.new_booking_groups(p_resource_ids bigint[], p_count integer DEFAULT 1)
RETURNS SETOF bigint
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    IF p_count IS NULL OR p_count < 1 OR p_count > 10000 THEN
        RAISE EXCEPTION 'between 1 and 10000 booking groups at once, not %', p_count
            USING ERRCODE = 'SP003';
    END IF;
    -- A venue's get-in, not a whole inventory: and no caller takes every tree's turn at once.
    IF (SELECT count(DISTINCT id) FROM unnest(p_resource_ids) AS id) > spaces.group_limit() THEN
        RAISE EXCEPTION 'a booking group holds at most % resources', spaces.group_limit()
            USING ERRCODE = 'SP003';
    END IF;
    PERFORM spaces.lock_trees(p_resource_ids);
    RETURN QUERY INSERT INTO spaces.booking_groups (created_by)
                 SELECT spaces.current_actor() FROM generate_series(1, p_count)
                 RETURNING id;
END
$$;

-- A group's rows are the caller's, written in the transaction that made it: nobody slips a row
-- into a group later (a group once whole stays what was asked for), nor into somebody else's.
CREATE OR REPLACE FUNCTION spaces.reservations_match_group() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM spaces.booking_groups g
                    WHERE g.id = NEW.group_id AND g.made_in = pg_current_xact_id()
                      AND g.created_by = spaces.current_actor()) THEN
        RAISE EXCEPTION 'booking group % is not one % made in this transaction: a group''s rows go in with it',
            NEW.group_id, spaces.current_actor() USING ERRCODE = 'SP003';
    END IF;
    IF EXISTS (SELECT 1 FROM spaces.reservations r
                WHERE r.group_id = NEW.group_id AND r.resource_id = NEW.resource_id) THEN
        RAISE EXCEPTION 'booking group % holds % once', NEW.group_id,
            (SELECT name FROM spaces.resources WHERE id = NEW.resource_id) USING ERRCODE = 'SP003';
    END IF;
    RETURN NEW;
END
$$;

CREATE OR REPLACE TRIGGER reservations_match_group
    BEFORE INSERT ON spaces.reservations
    FOR EACH ROW WHEN (NEW.group_id IS NOT NULL)
    EXECUTE FUNCTION spaces.reservations_match_group();

-- What a group is, from its rows: rejected when one was (the rest were released with it),
-- cancelled when nothing of it holds a slot, pending until every row still holding one is
-- confirmed.
CREATE OR REPLACE FUNCTION spaces.group_status(p_group_id bigint) RETURNS text
LANGUAGE sql STABLE AS $$
    SELECT CASE WHEN bool_or(r.status = 'rejected') THEN 'rejected'
                WHEN NOT bool_or(spaces.is_active_status(r.status)) THEN 'cancelled'
                WHEN bool_or(r.status = 'pending') THEN 'pending'
                ELSE 'confirmed' END
      FROM spaces.reservations r WHERE r.group_id = p_group_id
$$;

-- Whether a group has had a row rejected: then nothing else of it may hold a slot, and
-- whoever rejected that row releases the rest, whoever booked them.
CREATE OR REPLACE FUNCTION spaces.group_is_released(p_group_id bigint) RETURNS boolean
LANGUAGE sql STABLE AS $$
    SELECT EXISTS (SELECT 1 FROM spaces.reservations r
                    WHERE r.group_id = p_group_id AND r.status = 'rejected')
$$;

-- One row of a group rejected: the others are cancelled with a reason that names it, in the
-- same transaction, and the requester hears of it (spaces.group.released). The trees' turns are
-- taken before the row locks by spaces.set_status, which includes the group's other rows.
CREATE OR REPLACE FUNCTION spaces.release_group() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    rejected_on text := (SELECT name FROM spaces.resources WHERE id = NEW.resource_id);
    released bigint[];
BEGIN
    PERFORM spaces.lock_trees(ARRAY(SELECT r.resource_id FROM spaces.reservations r
                                     WHERE r.group_id = NEW.group_id));
    WITH done AS (
        UPDATE spaces.reservations r
           SET status = 'cancelled',
               cancel_reason = format('released with its group: %s was rejected by %s: %s',
                                      rejected_on, NEW.decided_by, NEW.decision_note)
         WHERE r.group_id = NEW.group_id AND r.id <> NEW.id AND spaces.is_active_status(r.status)
        RETURNING r.id
    )
    SELECT coalesce(array_agg(id ORDER BY id), '{}') INTO released FROM done;
    PERFORM spaces.emit('spaces.group.released', NEW.resource_id, NEW.id, NULL,
        jsonb_build_object('group_id', NEW.group_id, 'rejected', NEW.id, 'resource', rejected_on,
                           'released', to_jsonb(released), 'booked_by', NEW.booked_by,
                           'decided_by', NEW.decided_by, 'note', NEW.decision_note));
    RETURN NULL;
END
$$;

CREATE OR REPLACE TRIGGER reservations_release_group
    AFTER UPDATE OF status ON spaces.reservations
    FOR EACH ROW WHEN (NEW.status = 'rejected' AND OLD.status <> 'rejected' AND NEW.group_id IS NOT NULL)
    EXECUTE FUNCTION spaces.release_group();
