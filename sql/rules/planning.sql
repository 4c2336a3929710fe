-- Planning: what is free for a period (spaces free), and when a set of resources is free
-- together (spaces find). Both read the claims through the very probe rows a booking would
-- claim (spaces.claim_rows), so they answer what the exclusion constraint would: the tree,
-- blackouts and turnover buffers, with nothing spelled a second time.

-- How many resources one `find` may ask about together: as many as one booking group holds.
-- How long a window it searches, and how many answers it gives.
CREATE OR REPLACE FUNCTION spaces.find_limits(OUT resources integer, OUT window_days integer,
                                              OUT answers integer)
LANGUAGE sql IMMUTABLE AS $$ SELECT spaces.group_limit(), 366, 100 $$;

-- Every active resource that could be asked for p_during (of the kinds p_kinds, inside
-- p_under, carrying the attributes p_attributes; NULL for any), with whether p_headcount is
-- more than it holds and one row per thing in its way (the obstacle columns NULL for a resource
-- nothing is in the way of). One query over every candidate at once.
CREATE OR REPLACE FUNCTION spaces.free_resources(
    p_during tstzrange, p_headcount integer, p_kinds text[], p_under bigint, p_attributes jsonb
) RETURNS TABLE (resource_id bigint, over_capacity boolean, kind text, id bigint,
                 obstacle_resource_id bigint, resource_name text, during tstzrange, status text,
                 title text, who text, turnover_only boolean)
LANGUAGE plpgsql STABLE AS $$
DECLARE
    candidates bigint[];
BEGIN
    PERFORM spaces.check_period(p_during);
    IF p_under IS NOT NULL AND NOT EXISTS (SELECT 1 FROM spaces.resources r WHERE r.id = p_under) THEN
        RAISE EXCEPTION 'no resource with id %', p_under USING ERRCODE = 'SP004';
    END IF;
    candidates := ARRAY(
        SELECT r.id FROM spaces.resources r
         WHERE r.active
           AND (p_kinds IS NULL OR r.kind = ANY (p_kinds))
           AND (p_attributes IS NULL OR r.attributes @> p_attributes)
           AND (p_under IS NULL OR r.id IN (SELECT s.resource_id
                                              FROM spaces.resource_subtree(p_under) AS s
                                             WHERE s.resource_id <> p_under)));
    RETURN QUERY
    SELECT r.id, coalesce(p_headcount > r.capacity, false), o.kind, o.id, o.resource_id,
           o.resource_name, o.during, o.status, o.title, o.who, o.turnover_only
      FROM spaces.resources r
      LEFT JOIN spaces.obstacles_each(NULL, candidates, p_during, NULL) AS o ON o.asked = r.id
     WHERE r.id = ANY (candidates)
     ORDER BY r.id, o.during, o.kind, o.id;
END
$$;

-- The times a booking of p_length on p_resource_id could start, inside p_window (the booking
-- wholly within it), by the claims as they stand: a start s is refused when [s, s+length)
-- meets a claim on the resource's line in a lane it would take, or when its turnover
-- [s+length, s+length+buffer) meets a booking or turnover on the resource itself. Each claim
-- [a, z) so rules out the open range (a-length, z), its turnover-side (a-length-buffer,
-- z-length), and what is left is exact: a start right at a booking's end is kept. With
-- p_within_hours the booking must also lie within one stretch of the resource's bookable
-- hours. p_exclude leaves one reservation out (a booking being moved).
CREATE OR REPLACE FUNCTION spaces.start_times(
    p_resource_id bigint, p_window tstzrange, p_length interval, p_within_hours boolean,
    p_exclude bigint DEFAULT NULL
) RETURNS tstzmultirange
LANGUAGE sql STABLE AS $$
    WITH res AS (
        SELECT r.id, make_interval(mins => r.buffer_minutes) AS buffer, r.bookable_week,
               r.timezone
          FROM spaces.resources r WHERE r.id = p_resource_id
    ),
    probe AS (
        SELECT p.resource_id, p.lanes, p.holders
          FROM res, spaces.claim_rows(res.id, p_window) AS p
    ),
    refused AS (
        -- the booking itself against everything its probe rows would meet
        SELECT tstzrange(lower(c.during) - p_length, upper(c.during), '()') AS starts
          FROM probe
          JOIN spaces.claims c
            ON c.resource_id = probe.resource_id AND c.lanes && probe.lanes
           AND c.during && p_window
         WHERE probe.holders = '(,)'
           AND (p_exclude IS NULL OR c.reservation_id IS DISTINCT FROM p_exclude)
        UNION ALL
        -- its turnover against the bookings and turnovers on the resource itself
        SELECT tstzrange(lower(c.during) - p_length - res.buffer, upper(c.during) - p_length, '()')
          FROM res
          JOIN probe ON probe.resource_id = res.id AND probe.holders = '[-1,0)'
          JOIN spaces.claims c
            ON c.resource_id = res.id AND c.holders && probe.holders
           AND c.during && tstzrange(lower(p_window), upper(p_window) + res.buffer)
         WHERE (p_exclude IS NULL OR c.reservation_id IS DISTINCT FROM p_exclude)
    ),
    open_hours AS (
        -- the starts that keep the booking inside one stretch of its hours
        SELECT coalesce(range_agg(tstzrange(lower(h), upper(h) - p_length, '[]')), '{}') AS starts
          FROM res, unnest(spaces.week_hours(res.bookable_week, res.timezone, p_window)) AS h
         WHERE upper(h) - lower(h) >= p_length
    )
    SELECT CASE WHEN upper(p_window) - lower(p_window) < p_length THEN '{}'::tstzmultirange
                ELSE (tstzmultirange(tstzrange(lower(p_window), upper(p_window) - p_length, '[]'))
                      - coalesce((SELECT range_agg(starts) FROM refused), '{}'))
                     * CASE WHEN p_within_hours THEN (SELECT starts FROM open_hours)
                            ELSE '{(,)}'::tstzmultirange END
           END
      FROM res
$$;

-- The first p_count stretches of time in p_window when every one of p_resource_ids can be
-- booked for p_length at once: each one's earliest and latest start on a grid of p_step (from
-- midnight on the first resource's clock), earliest first. One stretch is one answer: "free to
-- start from 10:00 until 14:30" says more than ten starts a quarter hour apart.
CREATE OR REPLACE FUNCTION spaces.find_times(
    p_resource_ids bigint[], p_window tstzrange, p_length interval, p_step interval,
    p_within_hours boolean, p_count integer, p_exclude bigint DEFAULT NULL
) RETURNS TABLE (first_start timestamptz, last_start timestamptz)
LANGUAGE plpgsql STABLE AS $$
DECLARE
    limits record;
    missing bigint;
    asleep text;
    origin timestamptz;
BEGIN
    SELECT * INTO limits FROM spaces.find_limits();
    IF cardinality(p_resource_ids) IS NULL OR cardinality(p_resource_ids) = 0 THEN
        RAISE EXCEPTION 'find needs at least one resource' USING ERRCODE = 'SP003';
    END IF;
    IF (SELECT count(DISTINCT x) FROM unnest(p_resource_ids) AS x) > limits.resources THEN
        RAISE EXCEPTION 'find asks about at most % resources together', limits.resources
            USING ERRCODE = 'SP003';
    END IF;
    SELECT wanted.rid INTO missing FROM unnest(p_resource_ids) AS wanted (rid)
     WHERE NOT EXISTS (SELECT 1 FROM spaces.resources r WHERE r.id = wanted.rid) LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION 'no resource with id %', missing USING ERRCODE = 'SP004';
    END IF;
    SELECT r.name INTO asleep FROM spaces.resources r
     WHERE r.id = ANY (p_resource_ids) AND NOT r.active ORDER BY r.name LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION '% is not active and cannot be booked', asleep USING ERRCODE = 'SP003';
    END IF;
    PERFORM spaces.check_period(p_window);
    IF upper(p_window) - lower(p_window) > make_interval(days => limits.window_days) THEN
        RAISE EXCEPTION 'find searches at most % days at once', limits.window_days
            USING ERRCODE = 'SP003';
    END IF;
    IF p_length IS NULL OR p_length <= interval '0' THEN
        RAISE EXCEPTION 'a booking lasts longer than nothing, not %', p_length USING ERRCODE = 'SP003';
    END IF;
    IF p_step IS NULL OR p_step < interval '1 minute' OR p_step > interval '1 day' THEN
        RAISE EXCEPTION 'the step is a minute to a day, not %', p_step USING ERRCODE = 'SP003';
    END IF;
    IF p_count IS NULL OR p_count < 1 OR p_count > limits.answers THEN
        RAISE EXCEPTION 'between 1 and % answers, not %', limits.answers, p_count
            USING ERRCODE = 'SP003';
    END IF;
    SELECT timestamp '2000-01-03' AT TIME ZONE r.timezone INTO origin
      FROM spaces.resources r WHERE r.id = p_resource_ids[1];
    RETURN QUERY
    WITH together AS (
        SELECT range_intersect_agg(spaces.start_times(rid, p_window, p_length, p_within_hours,
                                                      p_exclude)) AS starts
          FROM (SELECT DISTINCT rid FROM unnest(p_resource_ids) AS rid) AS asked
    ),
    stretches AS (
        SELECT s,
               date_bin(p_step, lower(s), origin) AS floor_first,
               date_bin(p_step, upper(s), origin) AS floor_last
          FROM together, unnest(together.starts) AS s
    ),
    on_grid AS (
        SELECT CASE WHEN floor_first <@ s THEN floor_first ELSE floor_first + p_step END AS first,
               CASE WHEN floor_last <@ s THEN floor_last ELSE floor_last - p_step END AS last
          FROM stretches
    )
    SELECT on_grid.first, on_grid.last FROM on_grid
     WHERE on_grid.first <= on_grid.last
     ORDER BY on_grid.first
     LIMIT p_count;
END
$$;
