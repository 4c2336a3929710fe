-- What is in the way, before insert, so the app can say it kindly. It probes the claims table
-- with the very rows a booking would claim (spaces.claim_rows), so it reports exactly what the
-- constraint would refuse; the constraint still has the last word in a race.

-- One thing in the way. turnover_only marks an obstacle that only a turnover buffer puts there.
CREATE TYPE spaces.obstacle AS (
    kind          text,         -- reservation | blackout
    id            bigint,
    resource_id   bigint,       -- the obstacle's own resource: the one asked for, above or inside it
    resource_name text,
    during        tstzrange,
    status        text,
    title         text,         -- a reservation's title or a blackout's reason
    who           text,         -- who booked it, or who put the blackout in
    turnover_only boolean
);

CREATE FUNCTION spaces.obstacles(p_probe_blackout bigint, p_resource_id bigint, p_during tstzrange,
                                 p_exclude_reservation bigint)
RETURNS SETOF spaces.obstacle
LANGUAGE plpgsql STABLE AS $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM spaces.resources r WHERE r.id = p_resource_id) THEN
        RAISE EXCEPTION 'no resource with id %', p_resource_id USING ERRCODE = 'SP004';
    END IF;
    IF NOT spaces.is_valid_period(p_during) THEN
        RAISE EXCEPTION 'the period % is not a finite, non-empty [start, end) range', p_during
            USING ERRCODE = 'SP003';
    END IF;
    RETURN QUERY
    WITH hits AS (
        SELECT c.reservation_id, c.blackout_id,
               bool_and(c.holders = '[-1,0)' OR probe.holders = '[-1,0)') AS turnover_only
          FROM spaces.claim_rows(p_resource_id, p_during, p_probe_blackout) AS probe
          JOIN spaces.claims c
            ON c.resource_id = probe.resource_id
           AND c.during && probe.during
           AND c.lanes && probe.lanes
           AND c.holders && probe.holders
         WHERE (p_exclude_reservation IS NULL OR c.reservation_id IS DISTINCT FROM p_exclude_reservation)
         GROUP BY c.reservation_id, c.blackout_id
    )
    SELECT 'reservation'::text, r.id, r.resource_id, res.name, r.during, r.status, r.title,
           r.booked_by, hits.turnover_only
      FROM hits
      JOIN spaces.reservations r ON r.id = hits.reservation_id
      JOIN spaces.resources res ON res.id = r.resource_id
    UNION ALL
    SELECT 'blackout'::text, b.id, b.resource_id, res.name, b.during, b.status, b.reason,
           b.created_by, hits.turnover_only
      FROM hits
      JOIN spaces.blackouts b ON b.id = hits.blackout_id
      JOIN spaces.resources res ON res.id = b.resource_id
     ORDER BY 5, 1, 2;
END
$$;

-- One row per obstacle to booking p_resource_id for p_during: reservations and blackouts on the
-- resource, above it or inside it. exclude_id leaves one reservation out (the one being checked
-- again).
CREATE FUNCTION spaces.check_reservation_conflict(resource_id bigint, during tstzrange,
                                                  exclude_id bigint DEFAULT NULL)
RETURNS SETOF spaces.obstacle
LANGUAGE sql STABLE AS $$
    SELECT * FROM spaces.obstacles(NULL, $1, $2, $3)
$$;

-- The active reservations a new blackout on p_resource_id for p_during would collide with.
CREATE FUNCTION spaces.check_blackout_conflict(resource_id bigint, during tstzrange)
RETURNS SETOF spaces.obstacle
LANGUAGE sql STABLE AS $$
    SELECT * FROM spaces.obstacles(0, $1, $2, NULL)
$$;

-- Adds a blackout. Over active bookings it is refused (23P01) unless cancel_conflicting is true:
-- then those bookings are cancelled with the blackout's reason in the same transaction.
CREATE FUNCTION spaces.add_blackout(p_resource_id bigint, p_during tstzrange, p_reason text,
                                    p_kind text DEFAULT 'maintenance',
                                    p_cancel_conflicting boolean DEFAULT false)
RETURNS spaces.blackouts
LANGUAGE plpgsql AS $$
DECLARE
    created spaces.blackouts;
BEGIN
    IF p_cancel_conflicting THEN
        UPDATE spaces.reservations
           SET status = 'cancelled', cancel_reason = 'blackout: ' || p_reason
         WHERE id IN (SELECT o.id FROM spaces.check_blackout_conflict(p_resource_id, p_during) AS o
                       WHERE o.kind = 'reservation');
    END IF;
    INSERT INTO spaces.blackouts (resource_id, during, reason, kind)
    VALUES (p_resource_id, p_during, p_reason, p_kind)
    RETURNING * INTO created;
    RETURN created;
END
$$;
