-- Utilization: how much of each resource's own bookable hours (sql/rules/hours.sql) its bookings
-- fill, over whole days of its own calendar. Everything is range arithmetic: a resource's
-- bookings, its blackouts and its tree's bookings become one multirange each, cut to its
-- bookable hours (multirange * multirange is one merge of two sorted lists), and a report sums
-- their lengths, per resource or split into local days or hours. spaces_tui/engine/utilization.py
-- is the reader.

-- The times a report measures for each resource, over the dates p_from to p_to (both included)
-- on the resource's own clock, each cut to its bookable hours:
--   bookable      its bookable hours in those days
--   confirmed     its own confirmed bookings
--   pending       its own pending requests (they hold the slot, but are not use yet)
--   blacked_out   active blackouts that block it: on itself, above it or inside it, exactly the
--                 ones its bookings would collide with (sql/rules/claims.sql)
--   tree_blocked  active bookings above it or inside it (not its own): a stage booking blocks
--                 its areas, an area booking the stage
-- A turnover buffer is not counted: it is not a booking, and no report asks what it takes.
CREATE OR REPLACE FUNCTION spaces.utilization_times(p_resource_ids bigint[], p_from date, p_to date)
RETURNS TABLE (resource_id bigint, name text, kind text, timezone text,
               bookable tstzmultirange, confirmed tstzmultirange, pending tstzmultirange,
               blacked_out tstzmultirange, tree_blocked tstzmultirange)
LANGUAGE sql STABLE AS $$
    -- Materialized: each resource's bookable hours are worked out once, not at every use.
    WITH target AS MATERIALIZED (
        SELECT r.id, r.name, r.kind, r.timezone, hours.bookable,
               range_merge(hours.bookable) AS span,
               -- Whose bookings and blackouts stand in its way: its line and its subtree.
               ARRAY(SELECT b.resource_id FROM spaces.resource_blockers(r.id) AS b) AS blockers
          FROM spaces.resources r
         CROSS JOIN LATERAL (
             SELECT spaces.week_hours(r.bookable_week, r.timezone, tstzrange(
                        p_from::timestamp AT TIME ZONE r.timezone,
                        (p_to + 1)::timestamp AT TIME ZONE r.timezone, '[)')) AS bookable
         ) AS hours
         WHERE r.id = ANY (p_resource_ids)
    )
    SELECT t.id, t.name, t.kind, t.timezone, t.bookable,
           t.bookable * bookings.confirmed, t.bookable * bookings.pending,
           t.bookable * blackouts.times, t.bookable * bookings.tree
      FROM target t
      -- Joined blocker by blocker, so each is one probe of the (resource, time) GiST index
      -- rather than a scan of everything in the window.
      CROSS JOIN LATERAL (
          SELECT coalesce(range_agg(b.during) FILTER (
                              WHERE b.resource_id = t.id AND b.status = 'confirmed'), '{}')
                     AS confirmed,
                 coalesce(range_agg(b.during) FILTER (
                              WHERE b.resource_id = t.id AND b.status = 'pending'), '{}')
                     AS pending,
                 coalesce(range_agg(b.during) FILTER (WHERE b.resource_id <> t.id), '{}')
                     AS tree
            FROM unnest(t.blockers) AS blocker (id)
            JOIN spaces.reservations b ON b.resource_id = blocker.id
           WHERE spaces.is_active_status(b.status) AND b.during && t.span
      ) AS bookings
      CROSS JOIN LATERAL (
          SELECT coalesce(range_agg(x.during), '{}') AS times
            FROM unnest(t.blockers) AS blocker (id)
            JOIN spaces.blackouts x ON x.resource_id = blocker.id
           WHERE x.status = 'active' AND x.during && t.span
      ) AS blackouts
$$;

-- The parts of p_piece in each local day or hour ('day' | 'hour') of zone p_zone, with the wall
-- time each part's day or hour starts at. Days are cut at local midnights, so a day is 23 or 25
-- hours when the clocks change and a booking across midnight is split between its days. Hours
-- are cut on a grid of real hours from the piece's first local hour: the hour the clocks skip
-- gets nothing, and the hour they show twice is two hours of the same hour of the day. (Where
-- the clocks move by half an hour, Lord Howe Island, a piece across the change is cut at half
-- past after it: each half hour goes to the hour before.)
CREATE OR REPLACE FUNCTION spaces.local_parts(p_piece tstzrange, p_zone text, p_unit text)
RETURNS TABLE (starts timestamp, part tstzrange)
LANGUAGE sql STABLE AS $$
    SELECT day, p_piece * tstzrange(day AT TIME ZONE p_zone,
                                    (day + interval '1 day') AT TIME ZONE p_zone, '[)')
      FROM generate_series(date_trunc('day', lower(p_piece) AT TIME ZONE p_zone),
                           (upper(p_piece) - interval '1 microsecond') AT TIME ZONE p_zone,
                           interval '1 day') AS day
     WHERE p_unit = 'day'
    UNION ALL
    SELECT hour AT TIME ZONE p_zone, p_piece * tstzrange(hour, hour + interval '1 hour', '[)')
      FROM generate_series(date_trunc('hour', lower(p_piece), p_zone), upper(p_piece)
                               - interval '1 microsecond', interval '1 hour') AS hour
     WHERE p_unit = 'hour'
$$;

-- How far p_zone's clocks are ahead of UTC at p_at.
CREATE OR REPLACE FUNCTION spaces.utc_offset(p_at timestamptz, p_zone text) RETURNS interval
LANGUAGE sql STABLE AS $$
    SELECT (p_at AT TIME ZONE p_zone) - (p_at AT TIME ZONE 'UTC')
$$;

-- confirmed / (bookable - blacked_out), NULL when nothing was left to book.
CREATE OR REPLACE FUNCTION spaces.utilization_share(p_confirmed interval, p_bookable interval,
                                                    p_blacked_out interval)
RETURNS double precision
LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE WHEN p_bookable - p_blacked_out > interval '0'
                THEN extract(epoch FROM p_confirmed)::double precision
                     / extract(epoch FROM p_bookable - p_blacked_out)::double precision END
$$;

-- Where a bucket stands in a report by p_by: the day's number in the window, the ISO weekday
-- (1 is Monday), the hour, or (weekday - 1) * 24 + hour.
CREATE OR REPLACE FUNCTION spaces.utilization_position(p_by text, p_day integer,
                                                       p_isodow integer, p_hour integer)
RETURNS integer
LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE p_by WHEN 'day' THEN p_day
                     WHEN 'weekday' THEN p_isodow
                     WHEN 'hour' THEN p_hour
                     ELSE (p_isodow - 1) * 24 + p_hour END
$$;

-- The report: one row per p_by bucket, by position (the engine puts resources in tree order).
--   resource       one row per resource (key its name)
--   kind           summed per kind of resource
--   day            per date of the resources' own calendars, every date of the window
--   weekday        per day of the week (key Mon..Sun, position 1..7), summed over the window
--   hour           per hour of the day (key 00..23), summed over the window
--   weekday_hour   per day of the week and hour (key 'Mon 09', position (isodow - 1) * 24 + hour)
-- Refused (22023): an unknown p_by, p_to before p_from, more than ten years.
CREATE OR REPLACE FUNCTION spaces.utilization(p_resource_ids bigint[], p_from date, p_to date,
                                              p_by text DEFAULT 'resource')
RETURNS TABLE (key text, "position" integer, resource_id bigint, bookable interval,
               confirmed interval, pending interval, blacked_out interval,
               tree_blocked interval, utilization double precision)
LANGUAGE plpgsql STABLE AS $$
#variable_conflict use_column
BEGIN
    IF p_by IS NULL OR p_by NOT IN ('resource', 'kind', 'day', 'weekday', 'hour', 'weekday_hour')
    THEN
        RAISE EXCEPTION 'utilization is by resource, kind, day, weekday, hour or weekday_hour, not %',
            coalesce(p_by, 'nothing') USING ERRCODE = '22023';
    END IF;
    IF p_from IS NULL OR p_to IS NULL OR p_to < p_from THEN
        RAISE EXCEPTION 'a utilization window runs from one date to the same or a later one, not % to %',
            p_from, p_to USING ERRCODE = '22023';
    END IF;
    IF p_to - p_from >= 3653 THEN
        RAISE EXCEPTION 'utilization is counted over ten years at most, not % to %', p_from, p_to
            USING ERRCODE = '22023';
    END IF;
    IF p_by IN ('resource', 'kind') THEN
        RETURN QUERY
        WITH lengths AS (
            SELECT t.resource_id, t.name, t.kind,
                   spaces.duration(t.bookable) AS bookable,
                   spaces.duration(t.confirmed) AS confirmed,
                   spaces.duration(t.pending) AS pending,
                   spaces.duration(t.blacked_out) AS blacked_out,
                   spaces.duration(t.tree_blocked) AS tree_blocked
              FROM spaces.utilization_times(p_resource_ids, p_from, p_to) AS t
        ), grouped AS (
            SELECT CASE WHEN p_by = 'kind' THEN l.kind ELSE l.name END AS key,
                   CASE WHEN p_by = 'kind' THEN NULL ELSE l.resource_id END AS resource_id,
                   sum(l.bookable) AS bookable, sum(l.confirmed) AS confirmed,
                   sum(l.pending) AS pending, sum(l.blacked_out) AS blacked_out,
                   sum(l.tree_blocked) AS tree_blocked
              FROM lengths l
             GROUP BY 1, 2
        )
        SELECT g.key, (row_number() OVER (ORDER BY g.key))::integer, g.resource_id,
               g.bookable, g.confirmed, g.pending, g.blacked_out, g.tree_blocked,
               spaces.utilization_share(g.confirmed, g.bookable, g.blacked_out)
          FROM grouped g
         ORDER BY 2;
        RETURN;
    END IF;
    RETURN QUERY
    WITH buckets AS (
        -- Every bucket of the window, so a day with nothing bookable still has its row.
        SELECT DISTINCT
               CASE p_by WHEN 'day' THEN to_char(day, 'YYYY-MM-DD')
                         WHEN 'weekday' THEN to_char(day, 'Dy')
                         WHEN 'hour' THEN to_char(hour, 'FM00')
                         ELSE to_char(day, 'Dy') || ' ' || to_char(hour, 'FM00') END AS key,
               spaces.utilization_position(p_by, day::date - p_from,
                                           extract(isodow FROM day)::integer, hour) AS "position"
          FROM generate_series(p_from::timestamp, p_to::timestamp, interval '1 day') AS day,
               generate_series(0, CASE WHEN p_by IN ('hour', 'weekday_hour') THEN 23 ELSE 0 END)
                   AS hour
    ), pieces AS (
        SELECT t.timezone, measure.name, piece
          FROM spaces.utilization_times(p_resource_ids, p_from, p_to) AS t
         CROSS JOIN LATERAL (VALUES ('bookable', t.bookable), ('confirmed', t.confirmed),
                                    ('pending', t.pending), ('blacked_out', t.blacked_out),
                                    ('tree_blocked', t.tree_blocked)) AS measure (name, times)
         CROSS JOIN LATERAL unnest(measure.times) AS piece
    ), day_parts AS (
        SELECT pieces.name, pieces.timezone, local.starts, local.part,
               -- No clock change inside it: its wall-clock times are as far apart as it lasts.
               spaces.utc_offset(lower(local.part), pieces.timezone)
                   = spaces.utc_offset(upper(local.part), pieces.timezone) AS steady
          FROM pieces
         CROSS JOIN LATERAL spaces.local_parts(pieces.piece, pieces.timezone, 'day') AS local
         WHERE NOT isempty(local.part)
    ), shapes AS (
        -- By hour, the steady parts of one weekday with the same wall-clock times are cut into
        -- hours once for all their days: a year of round-the-clock days is one day, 365 times.
        SELECT d.name, extract(isodow FROM d.starts)::integer AS isodow,
               (lower(d.part) AT TIME ZONE d.timezone) - d.starts AS begins,
               (upper(d.part) AT TIME ZONE d.timezone) - d.starts AS ends,
               count(*) AS days
          FROM day_parts d
         WHERE p_by IN ('hour', 'weekday_hour') AND d.steady
         GROUP BY 1, 2, 3, 4
    ), parts AS (
        SELECT spaces.utilization_position(p_by, d.starts::date - p_from,
                                           extract(isodow FROM d.starts)::integer, 0)
                   AS "position",
               d.name, upper(d.part) - lower(d.part) AS length
          FROM day_parts d
         WHERE p_by IN ('day', 'weekday')
        UNION ALL
        SELECT spaces.utilization_position(p_by, 0, s.isodow, hour), s.name,
               (least(s.ends, make_interval(hours => hour + 1))
                - greatest(s.begins, make_interval(hours => hour))) * s.days
          FROM shapes s
         CROSS JOIN LATERAL generate_series(
             extract(hour FROM s.begins)::integer,
             ceil(extract(epoch FROM s.ends) / 3600)::integer - 1) AS hour
        UNION ALL
        -- The parts a clock change falls in, hour by hour on the real clock.
        SELECT spaces.utilization_position(p_by, 0, extract(isodow FROM local.starts)::integer,
                                           extract(hour FROM local.starts)::integer),
               d.name, upper(local.part) - lower(local.part)
          FROM day_parts d
         CROSS JOIN LATERAL spaces.local_parts(d.part, d.timezone, 'hour') AS local
         WHERE p_by IN ('hour', 'weekday_hour') AND NOT d.steady AND NOT isempty(local.part)
    ), summed AS (
        SELECT parts."position",
               coalesce(sum(length) FILTER (WHERE name = 'bookable'), '0') AS bookable,
               coalesce(sum(length) FILTER (WHERE name = 'confirmed'), '0') AS confirmed,
               coalesce(sum(length) FILTER (WHERE name = 'pending'), '0') AS pending,
               coalesce(sum(length) FILTER (WHERE name = 'blacked_out'), '0') AS blacked_out,
               coalesce(sum(length) FILTER (WHERE name = 'tree_blocked'), '0') AS tree_blocked
          FROM parts
         GROUP BY parts."position"
    )
    SELECT b.key, b."position", NULL::bigint,
           coalesce(s.bookable, '0'), coalesce(s.confirmed, '0'), coalesce(s.pending, '0'),
           coalesce(s.blacked_out, '0'), coalesce(s.tree_blocked, '0'),
           spaces.utilization_share(s.confirmed, s.bookable, s.blacked_out)
      FROM buckets b LEFT JOIN summed s ON s."position" = b."position"
     ORDER BY b."position";
END
$$;
