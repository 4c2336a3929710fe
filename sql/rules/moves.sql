-- Moving a booking: the old one is cancelled and its replacement booked in one transaction
-- (so the old slot is free for its own replacement), the replacement naming what it replaced
-- (moved_from; "moved to" is the same link read the other way). Everything a booking is held to
-- holds for the replacement: it is a new row, under every rule and constraint.

-- A replacement names a booking that its mover cancelled in this same transaction, and keeps
-- that booking's booker (an approver moving someone's booking does not take it over). Named to
-- run after reservations_stamp_actor.
CREATE OR REPLACE FUNCTION spaces.reservations_stamp_moved() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    original spaces.reservations;
BEGIN
    SELECT * INTO original FROM spaces.reservations r WHERE r.id = NEW.moved_from;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'no reservation with id %', NEW.moved_from USING ERRCODE = 'SP004';
    END IF;
    IF original.status <> 'cancelled' OR original.cancelled_by <> spaces.current_actor()
       OR original.cancelled_at <> now() THEN
        RAISE EXCEPTION 'reservation % was not cancelled by % in this transaction: a move cancels the booking and books its replacement together',
            original.id, spaces.current_actor() USING ERRCODE = 'SP003';
    END IF;
    NEW.booked_by := original.booked_by;
    RETURN NEW;
END
$$;

CREATE OR REPLACE TRIGGER reservations_stamp_moved
    BEFORE INSERT ON spaces.reservations
    FOR EACH ROW WHEN (NEW.moved_from IS NOT NULL)
    EXECUTE FUNCTION spaces.reservations_stamp_moved();

-- Moves the reservations p_ids to p_resource_ids[i] from p_starts[i] to p_ends[i], in the
-- caller's transaction; returns each old id with its replacement's. Every active row of a
-- booking group it touches moves with it (the replacements make one new group). A replacement
-- is pending where its resource asks for approval, unless the original was confirmed and the
-- mover approves that resource. An occurrence joins p_series_ids[i] where given (a series the
-- mover made on its new resource), else stays in its series if it stays on its resource.
-- Nothing is moved when anything is refused: 23P01 when a new slot is taken.
CREATE OR REPLACE FUNCTION spaces.move_reservations(
    p_ids bigint[], p_resource_ids bigint[], p_starts timestamptz[], p_ends timestamptz[],
    p_series_ids bigint[] DEFAULT NULL)
RETURNS TABLE (moved_from bigint, id bigint)
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    actor text := spaces.current_actor();
    missing bigint;
    stuck spaces.reservations;
    left_behind spaces.reservations;
    was text[];
    old_group bigint;
    groups jsonb := '{}';
BEGIN
    IF cardinality(p_ids) IS DISTINCT FROM cardinality(p_resource_ids)
       OR cardinality(p_ids) IS DISTINCT FROM cardinality(p_starts)
       OR cardinality(p_ids) IS DISTINCT FROM cardinality(p_ends) OR cardinality(p_ids) = 0 THEN
        RAISE EXCEPTION 'a move names each reservation with its new resource, start and end'
            USING ERRCODE = 'SP003';
    END IF;
    IF (SELECT count(DISTINCT x) FROM unnest(p_ids) AS x) <> cardinality(p_ids) THEN
        RAISE EXCEPTION 'a move names each reservation once' USING ERRCODE = 'SP003';
    END IF;
    SELECT wanted.rid INTO missing FROM unnest(p_ids) AS wanted (rid)
     WHERE NOT EXISTS (SELECT 1 FROM spaces.reservations r WHERE r.id = wanted.rid) LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION 'no reservation with id %', missing USING ERRCODE = 'SP004';
    END IF;
    IF (SELECT count(DISTINCT x) FROM unnest(p_resource_ids) AS x) > spaces.group_limit() THEN
        RAISE EXCEPTION 'a move takes its bookings to at most % resources', spaces.group_limit()
            USING ERRCODE = 'SP003';
    END IF;
    PERFORM spaces.lock_trees(p_resource_ids || ARRAY(SELECT r.resource_id FROM spaces.reservations r
                                                       WHERE r.id = ANY (p_ids)));
    SELECT * INTO stuck FROM spaces.reservations r
     WHERE r.id = ANY (p_ids) AND NOT spaces.is_active_status(r.status) ORDER BY r.id LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION 'reservation % is %; only a pending or confirmed booking moves',
            stuck.id, stuck.status USING ERRCODE = 'SP001';
    END IF;
    SELECT * INTO left_behind FROM spaces.reservations r
     WHERE r.group_id IN (SELECT g.group_id FROM spaces.reservations g WHERE g.id = ANY (p_ids))
       AND spaces.is_active_status(r.status) AND NOT r.id = ANY (p_ids)
     ORDER BY r.id LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION 'reservation % is one of booking group %, which moves together: move reservation % with it',
            (SELECT g.id FROM spaces.reservations g WHERE g.id = ANY (p_ids)
                AND g.group_id = left_behind.group_id ORDER BY g.id LIMIT 1),
            left_behind.group_id, left_behind.id USING ERRCODE = 'SP003';
    END IF;

    -- What each was before it is cancelled, and one new group for each old group, made with
    -- the turns already held.
    was := ARRAY(SELECT r.status FROM unnest(p_ids) WITH ORDINALITY AS u (rid, n)
                   JOIN spaces.reservations r ON r.id = u.rid ORDER BY u.n);
    FOR old_group IN SELECT DISTINCT r.group_id FROM spaces.reservations r
                      WHERE r.id = ANY (p_ids) AND r.group_id IS NOT NULL LOOP
        groups := groups || jsonb_build_object(old_group::text,
                                               spaces.new_booking_groups(p_resource_ids));
    END LOOP;

    UPDATE spaces.reservations r
       SET status = 'cancelled',
           cancel_reason = format('moved to %s, %s-%s', res.name,
                                  to_char(m.starts AT TIME ZONE res.timezone, 'YYYY-MM-DD HH24:MI'),
                                  to_char(m.ends AT TIME ZONE res.timezone, 'YYYY-MM-DD HH24:MI'))
      FROM unnest(p_ids, p_resource_ids, p_starts, p_ends) AS m (old_id, resource_id, starts, ends)
      JOIN spaces.resources res ON res.id = m.resource_id
     WHERE r.id = m.old_id;

    RETURN QUERY
    INSERT INTO spaces.reservations AS made (resource_id, during, title, headcount, status,
                                            series_id, group_id, moved_from)
    SELECT m.resource_id, tstzrange(m.starts, m.ends, '[)'), old.title, old.headcount,
           CASE WHEN m.was = 'confirmed' AND res.requires_approval
                     AND spaces.is_approver(res.id, actor) THEN 'confirmed' END,
           CASE WHEN old.series_id IS NULL THEN NULL
                WHEN p_series_ids[m.n] IS NOT NULL THEN p_series_ids[m.n]
                WHEN m.resource_id = old.resource_id THEN old.series_id END,
           (groups ->> old.group_id::text)::bigint, old.id
      FROM unnest(p_ids, p_resource_ids, p_starts, p_ends, was)
           WITH ORDINALITY AS m (old_id, resource_id, starts, ends, was, n)
      JOIN spaces.reservations old ON old.id = m.old_id
      JOIN spaces.resources res ON res.id = m.resource_id
     ORDER BY m.n
    RETURNING made.moved_from, made.id;
END
$$;
