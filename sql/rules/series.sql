-- Recurring reservations: a series (sql/009_series.sql) records the rule, and every occurrence
-- is its own reservation row linked to it, under the very same constraints as a one-off booking.
-- The series is the record of intent; the rows are what holds the room. Who made a series is
-- stamped like who booked (series_stamp_actor, sql/rules/access.sql).

-- An occurrence belongs to its series for good, like its resource and time.
CREATE OR REPLACE FUNCTION spaces.reservations_keep_series() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'reservation %: the series it belongs to cannot change', OLD.id
        USING ERRCODE = 'SP003';
END
$$;

CREATE OR REPLACE TRIGGER reservations_keep_series
    BEFORE UPDATE OF series_id ON spaces.reservations
    FOR EACH ROW WHEN (NEW.series_id IS DISTINCT FROM OLD.series_id)
    EXECUTE FUNCTION spaces.reservations_keep_series();

-- A series is a record of what was asked for: never edited afterwards.
CREATE OR REPLACE FUNCTION spaces.series_append_only() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'a series is never edited: cancel its occurrences and book again'
        USING ERRCODE = 'SP003';
END
$$;

CREATE OR REPLACE TRIGGER series_append_only
    BEFORE UPDATE OR DELETE ON spaces.series
    FOR EACH ROW EXECUTE FUNCTION spaces.series_append_only();

-- An occurrence joins a series of its own resource that the same person made: nobody can slip a
-- row into somebody else's series (and so into their "approve the whole series"), unless it is
-- an occurrence of that series moved within it.
CREATE OR REPLACE FUNCTION spaces.reservations_match_series() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    -- A moved occurrence stays in its series (reservations_stamp_moved checks the move).
    IF NOT EXISTS (SELECT 1 FROM spaces.series s
                    WHERE s.id = NEW.series_id AND s.resource_id = NEW.resource_id
                      AND (s.created_by = spaces.current_actor()
                           OR EXISTS (SELECT 1 FROM spaces.reservations o
                                       WHERE o.id = NEW.moved_from AND o.series_id = s.id))) THEN
        RAISE EXCEPTION 'series % is not a series of resource % made by %', NEW.series_id,
            NEW.resource_id, spaces.current_actor() USING ERRCODE = 'SP003';
    END IF;
    RETURN NEW;
END
$$;

CREATE OR REPLACE TRIGGER reservations_match_series
    BEFORE INSERT ON spaces.reservations
    FOR EACH ROW WHEN (NEW.series_id IS NOT NULL)
    EXECUTE FUNCTION spaces.reservations_match_series();
