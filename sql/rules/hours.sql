-- Bookable hours as real times. A resource's week (resources.bookable_week) is minutes from
-- Monday 00:00 on its own clock; these turn it into the instants of a window, week by week on
-- its zone's clock, so a 09:00-17:00 day is 8 hours on the day the clocks change too. Hints and
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
    -- Each window of each week in turn, its ends read on the wall clock of that week: a window
    -- across a clock change is as long as the clocks say (09:00-17:00 is 8 hours, a whole
    -- Sunday 23 or 25). Mondays as wall-clock midnights (timestamp, not timestamptz: those
    -- would be midnights of the session's zone, which AT TIME ZONE would read backwards).
    SELECT coalesce(range_agg(tstzrange(
               (monday + make_interval(mins => lower(piece))) AT TIME ZONE p_zone,
               (monday + make_interval(mins => upper(piece))) AT TIME ZONE p_zone,
               '[)') * p_window), '{}')
      INTO result
      FROM generate_series(date_trunc('week', lower(p_window) AT TIME ZONE p_zone),
                           upper(p_window) AT TIME ZONE p_zone,
                           interval '1 week') AS monday,
           unnest(p_week) AS piece;
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
