-- The schema, the extension the exclusion constraints need, and the small helpers every
-- later file leans on: who is acting, and what a valid time range or time zone is.
--
-- Errors raised by Spaces' own rules carry their own SQLSTATEs (class "SP") so that any client,
-- not only the Python app, can tell them apart from generic failures:
--   SP001  invalid status transition
--   SP002  not allowed: the actor is not an approver of the resource
--   SP003  invalid input (inactive resource, tree cycle, immutable column, missing reason...)
--   SP004  not found (unknown resource)
-- Overlaps are refused by exclusion constraints with PostgreSQL's own 23P01.

CREATE SCHEMA IF NOT EXISTS spaces;
CREATE EXTENSION IF NOT EXISTS btree_gist;

-- The actor is set per transaction by the app (SET LOCAL spaces.actor); plain SQL sessions fall
-- back to the connected role, so every write is attributed to someone.
CREATE FUNCTION spaces.current_actor() RETURNS text
LANGUAGE sql STABLE AS $$
    SELECT coalesce(nullif(current_setting('spaces.actor', true), ''), session_user::text)
$$;

-- IANA names only (Europe/London, UTC): PostgreSQL also accepts POSIX strings such as
-- 'EST5EDT,M3.2.0,M11.1.0', which the app's time library cannot read back.
CREATE FUNCTION spaces.is_valid_timezone(zone text) RETURNS boolean
LANGUAGE plpgsql IMMUTABLE AS $$
BEGIN
    IF zone IS NULL OR zone !~ '^[A-Za-z][A-Za-z0-9_+-]*(/[A-Za-z0-9_+-]+)*$' THEN
        RETURN false;
    END IF;
    PERFORM now() AT TIME ZONE zone;
    RETURN true;
EXCEPTION WHEN invalid_parameter_value THEN
    RETURN false;
END
$$;

-- A bookable period: finite, non-empty and half-open [start, end), so back-to-back bookings
-- touch without overlapping.
CREATE FUNCTION spaces.is_valid_period(period tstzrange) RETURNS boolean
LANGUAGE sql IMMUTABLE AS $$
    SELECT period IS NOT NULL
       AND NOT isempty(period)
       AND NOT lower_inf(period) AND NOT upper_inf(period)
       AND lower_inc(period) AND NOT upper_inc(period)
$$;

CREATE FUNCTION spaces.default_timezone() RETURNS text
LANGUAGE sql STABLE AS $$
    SELECT CASE WHEN spaces.is_valid_timezone(current_setting('TimeZone'))
                THEN current_setting('TimeZone') ELSE 'UTC' END
$$;
