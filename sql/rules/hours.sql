-- Bookable hours as real times. A resource's week (resources.bookable_week) is minutes from
-- Monday 00:00 on its own clock; these turn it into the instants of a window, day by day in
-- its zone, so a 09:00-17:00 day is 8 hours on the day the clocks change too. Hints and
-- utilization read them; no rule refuses a booking for being outside them.

-- The week's windows that fall in p_window, read in zone p_zone. The window must be finite and
-- at most about ten years long: an infinite range would make days without end.
CREATE OR REPLACE FUNCTION spaces.week_hours(
    p_week int4multirange, p_zone text, p_window tstzrange
) RETURNS tstzmultirange
LANGUAGE plpgsql STABLE AS $$
DECLARE
    result tstzmultirange;
BEGIN
    IF lower_inf(p_window) OR upper_inf(p_window) OR isempty(p_window) THEN
        IF isempty(p_window) THEN
            RETURN '{}';
        END IF;
        RAISE EXCEPTION 'bookable hours are counted over a finite window, not %', p_window
            USING ERRCODE = '22023';
    END IF;
    IF upper(p_window) - lower(p_window) > interval '3660 days' THEN
        RAISE EXCEPTION 'bookable hours are counted over ten years at most, not %', p_window
            USING ERRCODE = '22023';
    END IF;
    SELECT coalesce(range_agg(tstzrange(
               (day + make_interval(mins => lower(piece) - weekday * 1440)) AT TIME ZONE p_zone,
               (day + make_interval(mins => upper(piece) - weekday * 1440)) AT TIME ZONE p_zone,
               '[)') * p_window), '{}')
      INTO result
      -- Days as wall-clock midnights (timestamp, not timestamptz): a timestamptz series would
      -- be midnights of the session's zone, and AT TIME ZONE would then read them backwards.
      FROM generate_series(((lower(p_window) AT TIME ZONE p_zone)::date - 1)::timestamp,
                           ((upper(p_window) AT TIME ZONE p_zone)::date)::timestamp,
                           interval '1 day') AS day,
           LATERAL (SELECT extract(isodow FROM day)::int - 1 AS weekday) AS d,
           LATERAL unnest(p_week * int4multirange(int4range(weekday * 1440, weekday * 1440 + 1440)))
               AS piece;
    RETURN result;
END
$$;

-- A resource's bookable hours in a window.
CREATE OR REPLACE FUNCTION spaces.bookable_hours(p_resource_id bigint, p_window tstzrange)
RETURNS tstzmultirange
LANGUAGE sql STABLE AS $$
    SELECT spaces.week_hours(r.bookable_week, r.timezone, p_window)
      FROM spaces.resources r WHERE r.id = p_resource_id
$$;

-- How long a set of times lasts.
CREATE OR REPLACE FUNCTION spaces.duration(p_times tstzmultirange) RETURNS interval
LANGUAGE sql IMMUTABLE AS $$
    SELECT coalesce(sum(upper(piece) - lower(piece)), interval '0') FROM unnest(p_times) AS piece
$$;
