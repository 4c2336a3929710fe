-- What is in the way, before insert, so the app can say it kindly. It probes the claims table
-- with the very rows a booking would claim (spaces.claim_rows), so it reports exactly what the
-- constraint would refuse; the constraint still has the last word in a race. One thing in the
-- way is a spaces.obstacle (sql/006_conflict_check.sql).

-- What is in the way of each of several resources for one period, in one query: each probe
-- row of each asked resource against the claims (the GiST index finds them), so `spaces free`
-- asks about every resource at once what check_reservation_conflict asks about one. asked is
-- the resource asked about; the other columns are a spaces.obstacle's.
CREATE OR REPLACE FUNCTION spaces.obstacles_each(p_probe_blackout bigint, p_resource_ids bigint[],
                                                 p_during tstzrange, p_exclude_reservation bigint)
RETURNS TABLE (asked bigint, kind text, id bigint, resource_id bigint, resource_name text,
               during tstzrange, status text, title text, who text, turnover_only boolean)
LANGUAGE sql STABLE AS $$
    WITH probe AS (
        SELECT a.asked, p.*
          FROM unnest(p_resource_ids) AS a (asked),
               LATERAL spaces.claim_rows(a.asked, p_during, p_probe_blackout) AS p
    ), hits AS (
        SELECT probe.asked, c.reservation_id, c.blackout_id,
               bool_and(c.holders = '[-1,0)' OR probe.holders = '[-1,0)') AS turnover_only
          FROM probe
          JOIN spaces.claims c
            ON c.resource_id = probe.resource_id
           AND c.during && probe.during
           AND c.lanes && probe.lanes
           AND c.holders && probe.holders
         WHERE (p_exclude_reservation IS NULL OR c.reservation_id IS DISTINCT FROM p_exclude_reservation)
         GROUP BY probe.asked, c.reservation_id, c.blackout_id
    )
    SELECT hits.asked, 'reservation'::text, r.id, r.resource_id, res.name, r.during, r.status,
           r.title, r.booked_by, hits.turnover_only
      FROM hits
      JOIN spaces.reservations r ON r.id = hits.reservation_id
      JOIN spaces.resources res ON res.id = r.resource_id
    UNION ALL
    SELECT hits.asked, 'blackout'::text, b.id, b.resource_id, res.name, b.during, b.status,
           b.reason, b.created_by, hits.turnover_only
      FROM hits
      JOIN spaces.blackouts b ON b.id = hits.blackout_id
      JOIN spaces.resources res ON res.id = b.resource_id
     ORDER BY 1, 6, 2, 3
$$;

-- The period a booking or blackout asks for, refused when it is not one the tables would take.
CREATE OR REPLACE FUNCTION spaces.check_period(p_during tstzrange) RETURNS void
LANGUAGE plpgsql IMMUTABLE AS $$
BEGIN
    IF NOT spaces.is_valid_period(p_during) OR NOT p_during <@ spaces.bookable_window() THEN
        RAISE EXCEPTION 'the period % is not a finite, non-empty [start, end) range between 1900 and 9998',
            p_during USING ERRCODE = 'SP003';
    END IF;
END
$$;

CREATE OR REPLACE FUNCTION spaces.obstacles(p_probe_blackout bigint, p_resource_id bigint,
                                            p_during tstzrange, p_exclude_reservation bigint)
RETURNS SETOF spaces.obstacle
LANGUAGE plpgsql STABLE AS $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM spaces.resources r WHERE r.id = p_resource_id) THEN
        RAISE EXCEPTION 'no resource with id %', p_resource_id USING ERRCODE = 'SP004';
    END IF;
    PERFORM spaces.check_period(p_during);
    RETURN QUERY
    SELECT o.kind, o.id, o.resource_id, o.resource_name, o.during, o.status, o.title, o.who,
           o.turnover_only
      FROM spaces.obstacles_each(p_probe_blackout, ARRAY[p_resource_id], p_during,
                                 p_exclude_reservation) AS o;
END
$$;

-- One row per obstacle to booking p_resource_id for p_during: reservations and blackouts on the
-- resource, above it or inside it. exclude_id leaves one reservation out (the one being checked
-- again).
CREATE OR REPLACE FUNCTION spaces.check_reservation_conflict(resource_id bigint, during tstzrange,
                                                             exclude_id bigint DEFAULT NULL)
RETURNS SETOF spaces.obstacle
LANGUAGE sql STABLE AS $$
    SELECT * FROM spaces.obstacles(NULL, $1, $2, $3)
$$;

-- The active reservations a new blackout on p_resource_id for p_during would collide with.
CREATE OR REPLACE FUNCTION spaces.check_blackout_conflict(resource_id bigint, during tstzrange)
RETURNS SETOF spaces.obstacle
LANGUAGE sql STABLE AS $$
    SELECT * FROM spaces.obstacles(0, $1, $2, NULL)
$$;
