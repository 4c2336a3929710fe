-- What the tables are built on: their CHECK constraints and column defaults call these, so they
-- are applied before the versioned revisions (a fresh database needs them before its first
-- CREATE TABLE) and with check_function_bodies off (current_actor reads spaces.policy, which a
-- revision makes). Only functions that a table's definition uses belong here; a test checks it.
-- They cannot be dropped while a table uses them: change a body freely, never a signature.

-- The actor is spaces.actor, set by the app (Spaces sets it for each of its sessions; another
-- module may SET LOCAL it per transaction); plain SQL sessions fall back to the connected role, so every write is attributed to someone. In role mode
-- (spaces.policy, sql/rules/access.sql) it is always the connected role.
CREATE OR REPLACE FUNCTION spaces.current_actor() RETURNS text
LANGUAGE sql STABLE AS $$
    SELECT CASE
        WHEN (SELECT actor_source FROM spaces.policy) = 'role' THEN session_user::text
        ELSE coalesce(nullif(current_setting('spaces.actor', true), ''), session_user::text)
    END
$$;

-- IANA names only (Europe/London, UTC). AT TIME ZONE also takes abbreviations ('NZDT') and POSIX
-- rules ('XYZ5', 'EST5EDT,M3.2.0,M11.1.0'), which no client's zone library reads back. The zone
-- database's own list (pg_timezone_names) is the test, but it reads every zone file (about
-- 20 ms), so it is asked only about the names that could be one of those: with a digit, or
-- spelled like an abbreviation. Any other name that AT TIME ZONE knows is a zone file. UTC and
-- GMT are both, and common enough to answer at once.
CREATE OR REPLACE FUNCTION spaces.is_valid_timezone(zone text) RETURNS boolean
LANGUAGE plpgsql STABLE AS $$
BEGIN
    IF zone IS NULL OR length(zone) > 64
       OR zone !~ '^[A-Za-z][A-Za-z0-9_+-]*(/[A-Za-z0-9_+-]+)*$'
       OR zone IN ('localtime', 'posixrules', 'Factory') OR zone ~ '^(posix|right)/' THEN
        RETURN false;
    END IF;
    IF zone IN ('UTC', 'GMT') THEN
        RETURN true;
    END IF;
    IF zone ~ '[0-9]' OR EXISTS (SELECT 1 FROM pg_timezone_abbrevs WHERE abbrev = upper(zone)) THEN
        RETURN EXISTS (SELECT 1 FROM pg_timezone_names WHERE name = zone);
    END IF;
    PERFORM now() AT TIME ZONE zone;
    RETURN true;
EXCEPTION WHEN invalid_parameter_value THEN
    RETURN false;
END
$$;

CREATE OR REPLACE FUNCTION spaces.default_timezone() RETURNS text
LANGUAGE sql STABLE AS $$
    SELECT CASE WHEN spaces.is_valid_timezone(current_setting('TimeZone'))
                THEN current_setting('TimeZone') ELSE 'UTC' END
$$;

-- A bookable period: finite, non-empty and half-open [start, end), so back-to-back bookings
-- touch without overlapping.
CREATE OR REPLACE FUNCTION spaces.is_valid_period(period tstzrange) RETURNS boolean
LANGUAGE sql IMMUTABLE AS $$
    SELECT period IS NOT NULL
       AND NOT isempty(period)
       AND NOT lower_inf(period) AND NOT upper_inf(period)
       AND lower_inc(period) AND NOT upper_inc(period)
$$;

-- 'infinity', BC dates and the year 20000 are valid timestamps to PostgreSQL but nothing a
-- venue books, and no client's calendar can show them. A booking or blackout that holds time
-- lies in [1900-01-01, 9999-01-01) UTC, so every bound still has a date in every zone. The rule
-- is on what holds time (pending, confirmed, active): a row from before it can still be cancelled
-- or lifted, which is how it goes away.
CREATE OR REPLACE FUNCTION spaces.bookable_window() RETURNS tstzrange
LANGUAGE sql IMMUTABLE AS $$
    SELECT tstzrange('1900-01-01 00:00+00', '9999-01-01 00:00+00', '[)')
$$;

-- The statuses that hold a slot, pending and confirmed, spelled once: the exclusion constraint
-- on reservations, the window check, the claims and every rule that asks whether a booking is
-- still in the way call this, and the engine's ACTIVE (spaces_tui/engine/models.py) is tested
-- against it. The exclusion constraint's predicate calls it, so it is IMMUTABLE and calls no
-- other function: when it changes, the upgrade rebuilds that index (and so checks it again), but
-- the claims of rows it turns active or inactive are made again only by a revision.
CREATE OR REPLACE FUNCTION spaces.is_active_status(status text) RETURNS boolean
LANGUAGE sql IMMUTABLE AS $$ SELECT status IN ('pending', 'confirmed') $$;
